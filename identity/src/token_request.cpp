#include "onbehalf/identity/token_request.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/identity/authorize.hpp"

#include <boost/json.hpp>

#include <optional>
#include <stdexcept>

namespace onbehalf::identity {

namespace {

secret assertion_at_hand(const client_authentication& client, std::string_view token_endpoint, const token_request_options& options) {
  if (!options.client_assertion.empty()) return options.client_assertion;
  if (!client.assertion) throw std::logic_error("private_key_jwt needs client_authentication::assertion");
  std::optional<result<secret, std::string>> answer;
  client.assertion->assertion_for({client.client_id, token_endpoint, options.now}, [&](result<secret, std::string> a) { answer = std::move(a); });
  if (!answer) throw std::logic_error("this client assertion must be fetched first: pass it in token_request_options::client_assertion");
  if (!*answer) throw std::runtime_error("the client assertion could not be made: " + answer->error());
  return std::move(**answer);
}
std::string joined(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) out += (out.empty() ? "" : " ") + s;
  return out;
}
} // namespace

std::string with_client_capabilities(std::string_view claims, const std::vector<std::string>& capabilities) {
  if (capabilities.empty()) return std::string(claims);
  boost::json::object request;
  if (!claims.empty()) {
    boost::system::error_code failed;
    auto parsed = boost::json::parse(claims, failed);
    if (failed || !parsed.is_object()) {
      log_warning("A claims request is not a JSON object; it is sent as it is, without the client capabilities");
      return std::string(claims);
    }
    request = std::move(parsed.as_object());
  }
  boost::json::array values;
  for (const auto& c : capabilities) values.emplace_back(c.c_str());
  auto& access = request["access_token"];
  if (!access.is_object()) access = boost::json::object{};
  access.as_object()["xms_cc"] = boost::json::object{{"values", std::move(values)}};
  return boost::json::serialize(request);
}

token_grant token_grant::authorization_code(std::string code, std::string redirect_uri, std::string code_verifier,
                                            const std::vector<std::string>& scopes) {
  token_grant g;
  g.fields.add("grant_type", "authorization_code")
      .add("code", code)
      .add("redirect_uri", redirect_uri)
      .add("code_verifier", code_verifier)
      .add("scope", scope_parameter(scopes));
  return g;
}

token_grant token_grant::refresh(const secret& refresh_token, const std::vector<std::string>& scopes) {
  token_grant g;
  g.fields.add("grant_type", "refresh_token").add("refresh_token", refresh_token.reveal()).add("scope", scope_parameter(scopes));
  return g;
}

token_grant token_grant::client_credentials(const std::vector<std::string>& scopes) {
  token_grant g;
  g.fields.add("grant_type", "client_credentials").add("scope", joined(scopes));
  return g;
}

token_grant token_grant::on_behalf_of(const secret& assertion, const std::vector<std::string>& scopes) {
  token_grant g;
  g.fields.add("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
      .add("assertion", assertion.reveal())
      .add("requested_token_use", "on_behalf_of")
      .add("scope", scope_parameter(scopes));
  return g;
}

token_grant token_grant::token_exchange(const secret& subject_token, const std::vector<std::string>& scopes) {
  token_grant g;
  g.fields.add("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange")
      .add("subject_token", subject_token.reveal())
      .add("subject_token_type", "urn:ietf:params:oauth:token-type:access_token")
      .add("requested_token_type", "urn:ietf:params:oauth:token-type:access_token")
      .add("scope", scope_parameter(scopes));
  return g;
}

token_http_request build_token_request(std::string_view token_endpoint, const client_authentication& client, const token_grant& grant,
                                       const token_request_options& options) {
  token_http_request r;
  r.url = std::string(token_endpoint);
  if (!options.extra_query_parameters.empty()) {
    text::form_fields query;
    for (const auto& [name, value] : options.extra_query_parameters) query.add(name, value);
    r.url += (r.url.find('?') == std::string::npos ? "?" : "&") + query.encode();
  }
  r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  r.headers.emplace_back("Accept", "application/json");
  if (!options.traceparent.empty()) r.headers.emplace_back("traceparent", options.traceparent);
  if (!options.correlation_id.empty()) {
    r.headers.emplace_back("client-request-id", options.correlation_id);
    r.headers.emplace_back("return-client-request-id", "true");
  }

  text::form_fields body = grant.fields;
  if (auto claims = with_client_capabilities(grant.claims, client.capabilities); !claims.empty()) body.add("claims", claims);
  using method = client_authentication::method;
  switch (client.how) {
  case method::client_secret_post: body.add("client_id", client.client_id).add("client_secret", client.client_secret.reveal()); break;
  case method::client_secret_basic: {
    // RFC 6749 section 2.3.1: both parts form-encoded before base64.
    auto credentials = text::percent_encode(client.client_id) + ":" + text::percent_encode(client.client_secret.reveal());
    r.headers.emplace_back("Authorization", "Basic " + base64::encode(credentials));
    break;
  }
  case method::private_key_jwt:
    body.add("client_id", client.client_id)
        .add("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        .add("client_assertion", assertion_at_hand(client, token_endpoint, options).reveal());
    break;
  }
  r.body = body.encode();
  return r;
}

} // namespace onbehalf::identity
