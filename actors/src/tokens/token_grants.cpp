#include "tokens/token_grants.hpp"

#include "onbehalf/core/log.hpp"

namespace onbehalf::actors::detail {

namespace {

// The token endpoint of another tenant: Entra's endpoints name the tenant as a path segment.
std::string endpoint_for_tenant(const std::string& endpoint, const std::string& configured, const std::string& wanted) {
  if (wanted.empty() || wanted == configured || configured.empty()) return endpoint;
  auto at = endpoint.find("/" + configured + "/");
  if (at == std::string::npos) return endpoint;
  return endpoint.substr(0, at + 1) + wanted + endpoint.substr(at + 1 + configured.size());
}

std::size_t client_count(const token_service_settings& s) { return 1 + s.other_clients.size(); }
const identity::client_authentication& client_at(const token_service_settings& s, std::size_t i) {
  return i == 0 ? s.client : s.other_clients[i - 1];
}

struct attempt {
  std::string endpoint;
  identity::token_grant grant;
  identity::token_request_options options;
  std::optional<std::chrono::milliseconds> timeout;
};

// Sends with the chain's credential `index`; when the authority refuses it, with the next, each
// credential tried once. The first that works is remembered for the grants that follow.
void send_with_client(const shared_settings& s, std::shared_ptr<const attempt> a, std::size_t index, std::size_t tries_left,
                      std::function<void(token_outcome)> done);

// A credential whose assertion cannot be had (its file unreadable, its managed identity down) is
// refused here as the authority would refuse it, so that the chain moves on.
identity::token_failure credential_unusable(const identity::client_authentication& client, const std::string& why) {
  identity::token_failure f;
  f.kind = identity::failure_kind::configuration_error;
  f.error = "invalid_client";
  f.description = "the client credential " + client.source + " could not be used: " + why;
  f.config_key = client.source;
  return f;
}

// The credential's assertion first, when it proves itself with one; then the request.
void with_assertion(const shared_settings& s, const std::shared_ptr<const attempt>& a, std::size_t index,
                    std::function<void(result<identity::token_request_options, identity::token_failure>)> then) {
  const auto& client = client_at(*s, index);
  if (client.how != identity::client_authentication::method::private_key_jwt || !client.assertion) return then(a->options);
  client.assertion->assertion_for({client.client_id, a->endpoint, std::chrono::system_clock::now()},
                                  [s, a, index, then = std::move(then)](result<secret, std::string> assertion) {
                                    if (!assertion) return then(failure{credential_unusable(client_at(*s, index), assertion.error())});
                                    auto options = a->options;
                                    options.client_assertion = std::move(*assertion);
                                    then(std::move(options));
                                  });
}

void send_with_client(const shared_settings& s, std::shared_ptr<const attempt> a, std::size_t index, std::size_t tries_left,
                      std::function<void(token_outcome)> done) {
  with_assertion(
      s, a, index,
      [s, a, index, tries_left, done = std::move(done)](result<identity::token_request_options, identity::token_failure> options) mutable {
        auto answered = [s, a, index, tries_left, done = std::move(done)](token_outcome outcome) mutable {
          bool refused = !outcome && outcome.error().error == "invalid_client";
          if (!refused || tries_left <= 1) return done(std::move(outcome));
          auto next = (index + 1) % client_count(*s);
          auto expected = index;
          if (s->client_in_use->compare_exchange_strong(expected, next))
            log_warning("The authority refused a client credential; the next one is used from now on. Fix or remove the refused one",
                        {{"refused", client_at(*s, index).source}, {"reason", outcome.error().message()}, {"now_using", client_at(*s, next).source}});
          send_with_client(s, std::move(a), next, tries_left - 1, std::move(done));
        };
        if (!options) return answered(failure{std::move(options.error())});
        send_token_request(*s->web, identity::build_token_request(a->endpoint, client_at(*s, index), a->grant, *options), std::move(answered),
                           a->timeout);
      });
}

// The grant as /metrics names it: Entra's and RFC 8693's URNs by what they do.
std::string grant_name(const identity::token_grant& g) {
  auto type = g.fields.find("grant_type").value_or("");
  if (type.ends_with(":jwt-bearer")) return "on_behalf_of";
  if (type.ends_with(":token-exchange")) return "token_exchange";
  return std::string(type);
}

} // namespace

std::function<void(token_outcome)> measured(const shared_settings& s, std::string grant, std::function<void(token_outcome)> done) {
  if (!s->metrics) return done;
  return [metrics = s->metrics, grant = std::move(grant), started = std::chrono::steady_clock::now(), done = std::move(done)](token_outcome o) {
    metrics->record(grant, o ? std::string_view("success") : identity::to_string(o.error().kind), std::chrono::steady_clock::now() - started);
    done(std::move(o));
  };
}

void send_grant(const shared_settings& s, identity::token_grant grant, const token_acquisition_options& o, std::function<void(token_outcome)> done,
                std::optional<std::chrono::milliseconds> timeout) {
  grant.claims = o.claims;
  done = measured(s, grant_name(grant), std::move(done));
  identity::token_request_options request_options;
  request_options.correlation_id = o.correlation_id;
  request_options.traceparent = o.traceparent;
  request_options.extra_query_parameters = o.extra_query_parameters;
  auto send_to = [s, grant = std::move(grant), request_options, tenant = o.tenant, timeout](const std::string& endpoint,
                                                                                            std::function<void(token_outcome)> done) {
    auto a = std::make_shared<const attempt>(attempt{endpoint_for_tenant(endpoint, s->tenant, tenant), grant, request_options, timeout});
    send_with_client(s, std::move(a), s->client_in_use->load() % client_count(*s), client_count(*s), std::move(done));
  };
  auto* authority = !o.user_flow.empty() && s->authority_for_flow ? s->authority_for_flow(o.user_flow) : s->authority;
  if (!s->token_endpoint.empty() || !authority) return send_to(s->token_endpoint, std::move(done));
  // Another tenant: its own discovery document names its token endpoint (kept alive while asked).
  std::shared_ptr<identity::authority_cache> tenant_authority;
  if (!o.tenant.empty() && o.tenant != s->tenant && s->authority_for_tenant) tenant_authority = s->authority_for_tenant(o.tenant);
  if (tenant_authority) authority = tenant_authority.get();
  authority->get([send_to = std::move(send_to), done = std::move(done),
                  tenant_authority](result<identity::authority_cache::snapshot_ptr, std::string> authority) mutable {
    if (!authority) return done(failure{identity::network_failure("the authority's discovery document: " + authority.error())});
    send_to((*authority)->metadata.token_endpoint, std::move(done));
  });
}

} // namespace onbehalf::actors::detail
