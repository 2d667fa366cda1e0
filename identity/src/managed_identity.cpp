#include "onbehalf/identity/managed_identity.hpp"

#include "onbehalf/core/untrusted_time.hpp"
#include "onbehalf/identity/json_object.hpp"

#include <algorithm>

namespace onbehalf::identity {

token_http_request managed_identity_request(const managed_identity_endpoint& endpoint, std::string_view resource, std::string_view client_id) {
  if (resource.ends_with("/.default")) resource.remove_suffix(std::string_view("/.default").size());
  text::form_fields query;
  token_http_request r;
  r.method = "GET";
  if (!endpoint.identity_endpoint.empty()) {
    query.add("api-version", "2019-08-01").add("resource", std::string(resource));
    r.url = endpoint.identity_endpoint;
    r.headers.emplace_back("X-IDENTITY-HEADER", endpoint.identity_header.reveal());
  } else {
    query.add("api-version", "2018-02-01").add("resource", std::string(resource));
    auto base = endpoint.imds;
    while (base.ends_with('/')) base.pop_back();
    r.url = base + "/metadata/identity/oauth2/token";
    r.headers.emplace_back("Metadata", "true");
  }
  if (!client_id.empty()) query.add("client_id", std::string(client_id));
  r.url += (r.url.find('?') == std::string::npos ? "?" : "&") + query.encode();
  r.headers.emplace_back("Accept", "application/json");
  return r;
}

result<token_response, token_failure> read_managed_identity_response(unsigned http_status, std::string_view body, std::string_view retry_after,
                                                                     std::chrono::system_clock::time_point now, std::string_view identity_key) {
  bool success = http_status >= 200 && http_status < 300;
  if (!success) {
    auto outcome = read_token_response(http_status, body, retry_after);
    if (outcome) return outcome; // cannot happen: not a 2xx
    auto f = std::move(outcome.error());
    // IMDS and App Service answer 400 for an identity that is not assigned to this resource.
    if (http_status == 400 || http_status == 404) {
      f.kind = failure_kind::configuration_error;
      f.config_key = std::string(identity_key);
      if (f.description.empty()) f.description = "the managed-identity endpoint does not know this identity";
    }
    return failure{std::move(f)};
  }
  auto doc = json_object::parse(body);
  token_failure f;
  f.http_status = http_status;
  f.kind = failure_kind::invalid_response;
  if (!doc) {
    f.description = "the managed-identity endpoint's reply " + doc.error();
    return failure{std::move(f)};
  }
  auto access_token = doc->string("access_token");
  if (!access_token || access_token->empty()) {
    f.description = "the managed-identity endpoint's reply has no \"access_token\"";
    return failure{std::move(f)};
  }
  std::optional<std::int64_t> lifetime;
  if (auto expires_on = doc->integer("expires_on"))
    lifetime =
        clamp_untrusted(*expires_on, latest_believable_seconds) - std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  else if (auto expires_in = doc->integer("expires_in"))
    lifetime = clamp_untrusted(*expires_in, longest_token_lifetime.count());
  if (!lifetime || *lifetime <= 0) {
    f.description = "the managed-identity endpoint's reply has no future \"expires_on\" or \"expires_in\"";
    return failure{std::move(f)};
  }
  token_response t;
  t.access_token = secret(std::move(*access_token));
  t.token_type = doc->string("token_type").value_or("Bearer");
  t.expires_in = std::chrono::seconds(std::min<std::int64_t>(*lifetime, longest_token_lifetime.count()));
  return t;
}

} // namespace onbehalf::identity
