// Workload identities: managed-identity endpoints, tokens a Kubernetes cluster would project, and
// the federated credentials through which apps accept both instead of a secret.
#include "core.hpp"

#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace onbehalf::devauthority {

namespace {

constexpr std::string_view token_exchange_audience = "api://AzureADTokenExchange";

failure<protocol_error> refuse(long aadsts, std::string description) {
  return failure{protocol_error{401, "invalid_client", aadsts, std::move(description)}};
}

std::string with_base(const authority_core& core, std::string issuer) {
  if (auto at = issuer.find("{base}"); at != std::string::npos) issuer.replace(at, 6, core.base_url());
  return issuer;
}

// Tokens this authority signed, with its current key or one it rotated out.
bool signed_here(const authority_core& core, const identity::jwt& token) {
  if (core.signing_key.public_part().verify(token.algorithm, token.signing_input, token.signature)) return true;
  return std::any_of(core.retired_keys.begin(), core.retired_keys.end(),
                     [&](const auto& retired) { return retired.second.verify(token.algorithm, token.signing_input, token.signature); });
}

struct identity_found {
  const tenant* home = nullptr;
  const managed_identity* identity = nullptr;
};

identity_found find_identity(const directory& d, std::string_view client_id) {
  for (const auto& t : d.tenants)
    for (const auto& mi : t.managed_identities)
      if (client_id.empty() ? mi.system_assigned : mi.client_id == client_id) return {&t, &mi};
  return {};
}

void refuse_request(const http::exchange_ptr& x, unsigned status, std::string error, std::string description) {
  boost::json::object body{{"error", error}, {"error_description", description}};
  x->respond(json_response(status, boost::json::serialize(body)));
}

// Both shapes answer the same question; they differ in how it is asked and in the answer's fields.
void answer_managed_identity(authority_core& core, const http::exchange_ptr& x, bool app_service) {
  auto query = text::form_fields::parse(x->req().query).value_or(text::form_fields{});
  auto resource_name = std::string(query.find("resource").value_or(""));
  auto client_id = std::string(query.find("client_id").value_or(""));
  if (resource_name.empty()) return refuse_request(x, 400, "invalid_request", "Required query variable 'resource' is missing");
  std::lock_guard lock(core.mutex);
  ++core.token_requests["managed_identity"];
  auto found = find_identity(core.dir, client_id);
  if (!found.identity)
    return refuse_request(x, 400, "invalid_request",
                          client_id.empty()
                              ? "No system-assigned managed identity is enabled on this resource"
                              : "Identity not found: no managed identity with client_id " + client_id + " is assigned to this resource");
  const auto& mi = *found.identity;
  auto lifetime = core.dir.token_lifetimes.access_token;
  std::string token;
  if (resource_name == token_exchange_audience) {
    // The token that proves the identity to Entra as a federated credential of an app.
    auto now = clock::now();
    boost::json::object claims{{"aud", token_exchange_audience},
                               {"iss", core.issuer_for(*found.home)},
                               {"sub", mi.object_id},
                               {"oid", mi.object_id},
                               {"azp", mi.client_id},
                               {"tid", found.home->id},
                               {"idtyp", "app"},
                               {"iat", seconds_since_epoch(now)},
                               {"nbf", seconds_since_epoch(now)},
                               {"exp", seconds_since_epoch(now + lifetime)}};
    token = sign(core, claims);
  } else {
    const resource* res = find_resource(*found.home, resource_name);
    if (!res)
      return refuse_request(x, 400, "invalid_resource",
                            "AADSTS500011: The resource principal named " + resource_name + " was not found in the tenant.");
    token = app_only_access_token(core, *found.home, *res, {mi.client_id, mi.object_id, mi.application_permissions}, lifetime);
  }
  auto expires_on = std::to_string(seconds_since_epoch(clock::now() + lifetime));
  boost::json::object body{
      {"access_token", token}, {"expires_on", expires_on}, {"resource", resource_name}, {"token_type", "Bearer"}, {"client_id", mi.client_id}};
  if (!app_service) {
    body["expires_in"] = std::to_string(lifetime.count());
    body["ext_expires_in"] = std::to_string(lifetime.count());
    body["not_before"] = std::to_string(seconds_since_epoch(clock::now()));
  }
  x->respond(json_response(200, boost::json::serialize(body)));
}

} // namespace

result<const app*, protocol_error> authenticate_federated(authority_core& core, const identity::jwt& assertion, const std::string& client_id) {
  const app* a = core.find_app(client_id);
  if (!a) return failure{protocol_error{400, "unauthorized_client", 700016, "Application with identifier '" + client_id + "' was not found."}};
  const auto& c = assertion.claims;
  auto issuer = c.string("iss").value_or("");
  auto subject = c.string("sub").value_or("");
  auto audiences = c.strings("aud").value_or(std::vector<std::string>{});
  auto by_issuer = [&](const federated_credential& f) { return with_base(core, f.issuer) == issuer; };
  if (std::none_of(a->federated_credentials.begin(), a->federated_credentials.end(), by_issuer))
    return refuse(700211, "No matching federated identity record found for presented assertion issuer '" + issuer + "'.");
  auto match = std::find_if(a->federated_credentials.begin(), a->federated_credentials.end(),
                            [&](const federated_credential& f) { return by_issuer(f) && f.subject == subject; });
  if (match == a->federated_credentials.end())
    return refuse(700213, "No matching federated identity record found for presented assertion subject '" + subject + "'.");
  if (std::find(audiences.begin(), audiences.end(), match->audience) == audiences.end())
    return refuse(700212, "No matching federated identity record found for presented assertion audience.");
  if (!signed_here(core, assertion)) return refuse(700027, "The federated assertion failed signature validation with its issuer's keys.");
  auto now = seconds_since_epoch(clock::now());
  if (c.integer("exp").value_or(0) <= now || c.integer("nbf").value_or(now) > now + 300)
    return refuse(700024, "Client assertion is not within its valid time range.");
  return a;
}

std::string workload_token(authority_core& core, std::string_view subject, std::string_view audience, std::chrono::seconds lifetime) {
  auto now = clock::now();
  boost::json::object claims{{"iss", core.base_url() + "/kubernetes"},
                             {"sub", subject},
                             {"aud", boost::json::array{boost::json::string(audience)}},
                             {"iat", seconds_since_epoch(now)},
                             {"nbf", seconds_since_epoch(now)},
                             {"exp", seconds_since_epoch(now + lifetime)},
                             {"jti", crypto::random_token(12)}};
  return sign(core, claims);
}

void handle_managed_identity_imds(authority_core& core, const http::exchange_ptr& x) {
  if (x->req().headers.find("Metadata") != "true") return refuse_request(x, 400, "invalid_request", "Required metadata header not specified");
  answer_managed_identity(core, x, false);
}

void handle_managed_identity_app_service(authority_core& core, const http::exchange_ptr& x) {
  auto header = x->req().headers.find("X-IDENTITY-HEADER").value_or("");
  if (header.empty() || !crypto::constant_time_equals(header, core.dir.identity_header.reveal()))
    return refuse_request(x, 401, "unauthorized", "X-IDENTITY-HEADER is missing or does not match this App Service's");
  answer_managed_identity(core, x, true);
}

} // namespace onbehalf::devauthority
