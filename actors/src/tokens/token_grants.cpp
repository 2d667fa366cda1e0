#include "tokens/token_grants.hpp"

namespace onbehalf::actors::detail {

namespace {

// The token endpoint of another tenant: Entra's endpoints name the tenant as a path segment.
std::string endpoint_for_tenant(const std::string& endpoint, const std::string& configured, const std::string& wanted) {
  if (wanted.empty() || wanted == configured || configured.empty()) return endpoint;
  auto at = endpoint.find("/" + configured + "/");
  if (at == std::string::npos) return endpoint;
  return endpoint.substr(0, at + 1) + wanted + endpoint.substr(at + 1 + configured.size());
}

} // namespace

void send_grant(const shared_settings& s, identity::token_grant grant, const token_acquisition_options& o, std::function<void(token_outcome)> done,
                std::optional<std::chrono::milliseconds> timeout) {
  grant.claims = o.claims;
  identity::token_request_options request_options;
  request_options.correlation_id = o.correlation_id;
  request_options.extra_query_parameters = o.extra_query_parameters;
  auto send_to = [s, grant = std::move(grant), request_options, tenant = o.tenant, timeout](const std::string& endpoint,
                                                                                            std::function<void(token_outcome)> done) {
    auto request = identity::build_token_request(endpoint_for_tenant(endpoint, s->tenant, tenant), s->client, grant, request_options);
    send_token_request(*s->web, request, std::move(done), timeout);
  };
  auto* authority = !o.user_flow.empty() && s->authority_for_flow ? s->authority_for_flow(o.user_flow) : s->authority;
  if (!s->token_endpoint.empty() || !authority) return send_to(s->token_endpoint, std::move(done));
  authority->get(
      [send_to = std::move(send_to), done = std::move(done)](result<identity::authority_cache::snapshot_ptr, std::string> authority) mutable {
        if (!authority) return done(failure{identity::network_failure("the authority's discovery document: " + authority.error())});
        send_to((*authority)->metadata.token_endpoint, std::move(done));
      });
}

} // namespace onbehalf::actors::detail
