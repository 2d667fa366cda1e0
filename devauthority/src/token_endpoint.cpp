// The back channel: client authentication, the three grants, and the tokens they yield.
#include "core.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/identity/json_object.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace onbehalf::devauthority {

namespace {

constexpr std::string_view graph_app_id = "00000003-0000-0000-c000-000000000000";
constexpr std::string_view jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr std::string_view jwt_bearer_grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

failure<protocol_error> reject(unsigned status, std::string error, long aadsts, std::string description, std::string claims = {}) {
  return failure{protocol_error{status, std::move(error), aadsts, std::move(description), std::move(claims)}};
}

result<const app*, protocol_error> authenticate_with_assertion(authority_core& core, const std::string& prefix, const text::form_fields& form) {
  if (form.find("client_assertion_type") != jwt_bearer)
    return reject(400, "invalid_request", 700025, "client_assertion_type must be " + std::string(jwt_bearer) + ".");
  auto assertion = identity::parse_jwt(*form.find("client_assertion"));
  if (!assertion) return reject(401, "invalid_client", 700027, "Client assertion is malformed: " + assertion.error().message);
  const auto& c = assertion->claims;
  auto client_id = c.string("iss").value_or("");
  // A token from another issuer, about a workload the app trusts: a federated credential.
  if (auto named = form.find("client_id"); named && *named != client_id) return authenticate_federated(core, *assertion, std::string(*named));
  const app* a = core.find_app(client_id);
  if (!a || c.string("sub") != client_id) return reject(401, "invalid_client", 700016, "The assertion names no known application in iss and sub.");
  auto thumbprint = assertion->header.string("x5t#S256").value_or("");
  bool verified = std::any_of(a->certificates.begin(), a->certificates.end(), [&](const identity::trusted_certificate& cert) {
    return (thumbprint.empty() || cert.thumbprint_sha256 == thumbprint) &&
           cert.key.verify(assertion->algorithm, assertion->signing_input, assertion->signature);
  });
  if (!verified)
    return reject(401, "invalid_client", 700027, "Client assertion failed signature validation with the certificates registered for the app.");
  if (c.string("aud") != core.endpoint(prefix, "/oauth2/v2.0/token"))
    return reject(401, "invalid_client", 700023, "The client assertion's audience must be this token endpoint.");
  auto now = seconds_since_epoch(clock::now());
  auto exp = c.integer("exp").value_or(0);
  auto nbf = c.integer("nbf").value_or(now);
  if (exp <= now - 300 || nbf > now + 300 || exp - now > 600 + 300)
    return reject(401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
  auto jti = c.string("jti").value_or("");
  if (jti.empty() || !core.seen_assertion_ids.insert(client_id + "\n" + jti).second)
    return reject(401, "invalid_client", 700027, "The client assertion was already used (jti replay).");
  return a;
}

result<const app*, protocol_error> authenticate(authority_core& core, const std::string& prefix, const text::form_fields& form,
                                                const http::header_list& headers) {
  if (form.find("client_assertion")) return authenticate_with_assertion(core, prefix, form);
  std::string client_id(form.find("client_id").value_or(""));
  std::string secret_text(form.find("client_secret").value_or(""));
  if (auto basic = headers.find("Authorization"); basic && basic->starts_with("Basic ")) {
    auto decoded = base64::decode(basic->substr(6)).value_or("");
    auto colon = decoded.find(':');
    client_id = text::percent_decode(decoded.substr(0, colon), true).value_or("");
    secret_text = colon == std::string::npos ? "" : text::percent_decode(decoded.substr(colon + 1), true).value_or("");
  }
  const app* a = core.find_app(client_id);
  if (!a) return reject(400, "unauthorized_client", 700016, "Application with identifier '" + client_id + "' was not found in the directory.");
  if (secret_text.empty())
    return reject(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  bool matches =
      std::any_of(a->secrets.begin(), a->secrets.end(), [&](const secret& s) { return crypto::constant_time_equals(s.reveal(), secret_text); });
  if (!matches)
    return reject(401, "invalid_client", 7000215,
                  "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.");
  return a;
}

struct user_context {
  const tenant* home;
  const user* person;
};

std::string client_info(const user_context& u) {
  return base64::encode(R"({"uid":")" + u.person->object_id + R"(","utid":")" + u.home->id + "\"}", base64::alphabet::url);
}

// An access token as Entra shapes it for the resource's accepted token version: v1 tokens (Azure
// Storage and other first-party APIs) name the v1 issuer and the App ID URI, and the client as appid.
void shape_for_version(const authority_core&, const tenant& t, const resource* res, boost::json::object& access) {
  if (!res || res->access_token_version != 1) return;
  access["iss"] = "https://sts.windows.net/" + t.id + "/";
  access["aud"] = res->app_id_uri;
  access["ver"] = "1.0";
  if (auto azp = access.if_contains("azp")) {
    access["appid"] = *azp;
    access.erase("azp");
  }
  if (auto name = access.if_contains("preferred_username")) {
    access["upn"] = *name;
    access["unique_name"] = *name;
  }
}

// Tokens for a signed-in user; checks the consent ledger and the resource's MFA policy first.
// `policy` is the B2C user flow the sign-in went through; tokens name it in "tfp".
result<std::string, protocol_error> user_tokens(authority_core& core, const app& a, const user_context& u, const std::vector<std::string>& scopes,
                                                const std::vector<std::string>& amr, const std::string& nonce, const std::string& family,
                                                const std::string& policy, const std::vector<std::string>& contexts, bool cae_capable) {
  auto requested = resource_scopes(*u.home, a, scopes);
  if (!requested) return failure{requested.error()};
  if (requested->size() > 1)
    return reject(400, "invalid_scope", 28000,
                  "Provided value for the input parameter scope is not valid because it contains more than one resource.");
  const resource* res = requested->empty() ? nullptr : requested->begin()->first;
  std::vector<std::string> granted;
  if (res) {
    const auto& consented = core.consents[authority_core::consent_key(u.person->user_name, a.client_id, res->app_id_uri)];
    const auto& asked = requested->begin()->second;
    for (const auto& s : asked.names) {
      if (!consented.count(s) && !asked.admin_consented.count(s))
        return reject(400, "invalid_grant", 65001,
                      "The user or administrator has not consented to use the application with ID '" + a.client_id + "' named '" + a.display_name +
                          "'. Send an interactive authorization request for this user and resource.");
      granted.push_back(s);
    }
    if (res->requires_mfa && std::find(amr.begin(), amr.end(), "mfa") == amr.end())
      return reject(400, "interaction_required", 50076,
                    "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor "
                    "authentication to access '" +
                        res->app_id_uri + "'.",
                    std::string(mfa_claims_challenge));
  }
  auto now = clock::now();
  auto lifetime = cae_capable ? core.dir.token_lifetimes.cae_access_token : core.dir.token_lifetimes.access_token;
  // The token's scp lists short names; the response's scope, as Entra answers, names custom APIs'
  // scopes in full ("api://x/read") and Graph's by their short names.
  std::string scope_text, granted_text;
  bool graph = res && res->app_id_uri == identity::graph_resource;
  for (const auto& s : granted) {
    scope_text += (scope_text.empty() ? "" : " ") + s;
    granted_text += (granted_text.empty() ? "" : " ") + (graph ? s : res->app_id_uri + "/" + s);
  }
  boost::json::array amr_json;
  for (const auto& m : amr) amr_json.emplace_back(m.c_str());
  auto issuer = core.issuer_for(*u.home);
  // The sign-in the tokens come from: a code's or an on-behalf-of grant's starts a family, a
  // refresh token's continues its own. Revoking the user's sessions revokes the family.
  auto session = family.empty() ? crypto::random_token(12) : family;
  core.family_owners.emplace(session, u.person->user_name);
  boost::json::object access{{"aud", res ? res->app_id : std::string(graph_app_id)},
                             {"iss", issuer},
                             {"iat", seconds_since_epoch(now)},
                             {"nbf", seconds_since_epoch(now)},
                             {"exp", seconds_since_epoch(now + lifetime)},
                             {"scp", scope_text.empty() ? "openid profile" : scope_text},
                             {"oid", u.person->object_id},
                             {"sub", u.person->object_id},
                             {"tid", u.home->id},
                             {"name", u.person->display_name},
                             {"preferred_username", u.person->user_name},
                             {"azp", a.client_id},
                             {"amr", amr_json},
                             {"ver", "2.0"},
                             {"uti", crypto::random_token(12)},
                             {"sid", session}};
  if (!policy.empty()) access["tfp"] = policy;
  if (cae_capable) access["xms_cc"] = boost::json::array{"cp1"};
  shape_for_version(core, *u.home, res, access);
  if (!contexts.empty()) {
    boost::json::array acrs;
    for (const auto& c : contexts) acrs.emplace_back(c.c_str());
    access["acrs"] = acrs;
  }
  boost::json::object body{{"token_type", "Bearer"},
                           {"scope", granted_text.empty() ? "openid profile" : granted_text},
                           {"expires_in", lifetime.count()},
                           {"ext_expires_in", lifetime.count()},
                           {"access_token", sign(core, access)},
                           {"client_info", client_info(u)}};
  bool openid = std::find(scopes.begin(), scopes.end(), "openid") != scopes.end();
  if (openid) {
    boost::json::object id{{"aud", a.client_id},
                           {"iss", issuer},
                           {"iat", seconds_since_epoch(now)},
                           {"nbf", seconds_since_epoch(now)},
                           {"exp", seconds_since_epoch(now + std::chrono::hours(1))},
                           {"sub", u.person->object_id},
                           {"oid", u.person->object_id},
                           {"tid", u.home->id},
                           {"name", u.person->display_name},
                           {"preferred_username", u.person->user_name},
                           {"ver", "2.0"}};
    if (!nonce.empty()) id["nonce"] = nonce;
    if (!policy.empty()) id["tfp"] = policy;
    body["id_token"] = sign(core, id);
  }
  if (std::find(scopes.begin(), scopes.end(), "offline_access") != scopes.end()) {
    auto refresh = crypto::random_token(48);
    core.refresh_tokens[refresh] =
        issued_refresh_token{policy, session, a.client_id, u.person->user_name, amr, now + core.dir.token_lifetimes.refresh_token, false};
    body["refresh_token"] = refresh;
  }
  return boost::json::serialize(body);
}

// A client that declares "cp1" in its claims request (access_token.xms_cc.values, as MSAL sends
// AzureAd:ClientCapabilities) handles claims challenges: as Entra, its tokens are CAE tokens.
bool declares_cae(const text::form_fields& form) {
  auto doc = identity::json_object::parse(form.find("claims").value_or(""));
  if (!doc) return false;
  auto access = doc->object("access_token");
  auto xms_cc = access ? access->object("xms_cc") : std::nullopt;
  auto values = xms_cc ? xms_cc->strings("values") : std::nullopt;
  return values && std::find(values->begin(), values->end(), "cp1") != values->end();
}

std::vector<std::string> scopes_of(const text::form_fields& form) {
  std::vector<std::string> out;
  for (auto s : text::split(form.find("scope").value_or(""), ' '))
    if (!s.empty()) out.emplace_back(s);
  return out;
}

result<std::string, protocol_error> redeem_code(authority_core& core, const app& a, const text::form_fields& form) {
  auto it = core.codes.find(std::string(form.find("code").value_or("")));
  if (it == core.codes.end())
    return reject(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity.");
  auto& code = it->second;
  if (code.redeemed)
    return reject(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code.");
  code.redeemed = true;
  if (code.expires < clock::now()) return reject(400, "invalid_grant", 70008, "The provided authorization code has expired.");
  if (code.client_id != a.client_id) return reject(400, "invalid_grant", 70000, "The authorization code was issued to another client.");
  if (form.find("redirect_uri") != code.redirect_uri)
    return reject(400, "invalid_grant", 500112, "The reply address does not match the one used to get the authorization code.");
  if (!crypto::constant_time_equals(identity::pkce_challenge(form.find("code_verifier").value_or("")), code.code_challenge))
    return reject(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
  // As Entra does, the redemption's own scope picks the resource when the authorize request
  // named several; the sign-in scopes of the authorize request still decide about the id_token
  // and refresh token.
  auto scopes = scopes_of(form);
  if (scopes.empty()) {
    scopes = code.scopes;
  } else {
    for (const auto& s : code.scopes)
      if ((s == "openid" || s == "profile" || s == "offline_access" || s == "email") && std::find(scopes.begin(), scopes.end(), s) == scopes.end())
        scopes.push_back(s);
  }
  const tenant* home = core.dir.home_tenant_of(code.user_name);
  return user_tokens(core, a, {home, home->find_user(code.user_name)}, scopes, code.amr, code.nonce, {}, code.policy, requested_contexts(code.claims),
                     declares_cae(form));
}

// A claims request for an authentication context (from an API's claims challenge) needs the
// second factor; a sign-in that had it satisfies the context without the user.
result<std::vector<std::string>, protocol_error> contexts_met(const text::form_fields& form, const std::vector<std::string>& amr) {
  auto claims = std::string(form.find("claims").value_or(""));
  auto contexts = requested_contexts(claims);
  if (!contexts.empty() && std::find(amr.begin(), amr.end(), "mfa") == amr.end())
    return reject(400, "interaction_required", 50076,
                  "The resource requires the authentication context '" + contexts.front() + "', which needs multi-factor authentication.", claims);
  return contexts;
}

result<std::string, protocol_error> redeem_refresh_token(authority_core& core, const app& a, const text::form_fields& form) {
  auto it = core.refresh_tokens.find(std::string(form.find("refresh_token").value_or("")));
  if (it == core.refresh_tokens.end()) return reject(400, "invalid_grant", 9002313, "Invalid request. The refresh token is malformed or unknown.");
  auto& token = it->second;
  if (token.client_id != a.client_id) return reject(400, "invalid_grant", 70000, "The refresh token was issued to another client.");
  if (token.rotated) {
    // A rotated token used again was copied: end everything issued from that sign-in.
    core.revoked_families.insert(token.family);
    return reject(400, "invalid_grant", 70000, "The refresh token has already been used and was replaced; its sign-in is now revoked.");
  }
  if (core.revoked_families.count(token.family))
    return reject(400, "invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed.");
  if (token.expires < clock::now()) return reject(400, "invalid_grant", 700082, "The refresh token has expired due to inactivity.");
  auto scopes = scopes_of(form);
  if (std::find(scopes.begin(), scopes.end(), "offline_access") == scopes.end()) scopes.push_back("offline_access");
  auto contexts = contexts_met(form, token.amr);
  if (!contexts) return failure{contexts.error()};
  const tenant* home = core.dir.home_tenant_of(token.user_name);
  auto issued = user_tokens(core, a, {home, home->find_user(token.user_name)}, scopes, token.amr, {}, token.family, token.policy, *contexts,
                            declares_cae(form));
  if (issued) core.refresh_tokens[it->first].rotated = true;
  return issued;
}

// The tenant of an access token this authority issued, when its signature, issuer and lifetime hold.
result<const tenant*, protocol_error> issuing_tenant(const authority_core& core, const identity::jwt& assertion) {
  bool signed_here = core.signing_key.public_part().verify(assertion.algorithm, assertion.signing_input, assertion.signature) ||
                     std::any_of(core.retired_keys.begin(), core.retired_keys.end(), [&](const auto& retired) {
                       return retired.second.verify(assertion.algorithm, assertion.signing_input, assertion.signature);
                     });
  if (!signed_here || assertion.algorithm != identity::jws_algorithm::rs256)
    return reject(400, "invalid_grant", 50013, "Assertion failed signature validation.");
  const auto& c = assertion.claims;
  const tenant* home = core.dir.find_tenant(c.string("tid").value_or(""));
  if (!home || c.string("iss") != core.issuer_for(*home))
    return reject(400, "invalid_grant", 50013, "Assertion is not from a tenant of this authority.");
  auto now = seconds_since_epoch(clock::now());
  if (c.integer("exp").value_or(0) <= now || c.integer("nbf").value_or(now) > now + 300)
    return reject(400, "invalid_grant", 500133, "Assertion is not within its valid time range.");
  return home;
}

// On-behalf-of with Entra's rules: the assertion is a user's access token this authority issued
// for the calling app (its audience is the app), still valid, from a sign-in not revoked; the user (or an administrator,
// through .default) has consented to what the app asks for downstream; a downstream under an MFA
// policy, or a claims request for an authentication context, needs the assertion's sign-in to
// have had the second factor.
result<std::string, protocol_error> on_behalf_of(authority_core& core, const tenant& t, const app& a, const text::form_fields& form) {
  if (form.find("requested_token_use") != "on_behalf_of")
    return reject(400, "invalid_request", 90014, "The request must name requested_token_use=on_behalf_of with the jwt-bearer grant.");
  auto assertion = identity::parse_jwt(form.find("assertion").value_or(""));
  if (!assertion) return reject(400, "invalid_grant", 50027, "JWT token is invalid or malformed: " + assertion.error().message);
  auto home = issuing_tenant(core, *assertion);
  if (!home) return failure{home.error()};
  const auto& c = assertion->claims;
  const resource* own = nullptr;
  for (const auto& r : t.resources)
    if (r.app_id == a.client_id) own = &r;
  auto audience = c.string("aud").value_or("");
  if (audience != a.client_id && !(own && audience == own->app_id_uri))
    return reject(400, "invalid_grant", 50013, "Assertion audience does not match the Client app presenting the assertion.");
  if (!c.string("scp") || c.string("idtyp") == std::optional<std::string>("app"))
    return reject(400, "invalid_grant", 7000114, "Application '" + a.client_id + "' is not allowed to make application on-behalf-of calls.");
  if (auto sid = c.string("sid"); sid && core.revoked_families.count(*sid))
    return reject(400, "invalid_grant", 50173,
                  "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset "
                  "their password.");
  auto oid = c.string("oid").value_or("");
  auto person = std::find_if((*home)->users.begin(), (*home)->users.end(), [&](const user& u) { return u.object_id == oid; });
  if (person == (*home)->users.end())
    return reject(400, "invalid_grant", 50034, "The user account named in the assertion does not exist in the tenant.");
  auto amr = c.strings("amr").value_or(std::vector<std::string>{});
  auto contexts = contexts_met(form, amr);
  if (!contexts) return failure{contexts.error()};
  return user_tokens(core, a, {*home, &*person}, scopes_of(form), amr, {}, {}, {}, *contexts, declares_cae(form));
}

result<std::string, protocol_error> app_token(authority_core& core, const tenant& t, const app& a, const text::form_fields& form) {
  auto scopes = scopes_of(form);
  if (scopes.size() != 1 || !scopes[0].ends_with("/.default"))
    return reject(400, "invalid_scope", 1002012,
                  "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the "
                  "resource identifier (application ID URI).");
  auto uri = scopes[0].substr(0, scopes[0].size() - std::string_view("/.default").size());
  const resource* res = find_resource(t, uri);
  if (!res) return reject(400, "invalid_resource", 500011, "The resource principal named " + uri + " was not found in the tenant.");
  auto lifetime = core.dir.token_lifetimes.access_token;
  boost::json::object body{{"token_type", "Bearer"},
                           {"expires_in", lifetime.count()},
                           {"ext_expires_in", lifetime.count()},
                           {"access_token", app_only_access_token(core, t, *res, {a.client_id, a.client_id, a.application_permissions}, lifetime)}};
  return boost::json::serialize(body);
}

} // namespace

const resource* find_resource(const tenant& t, std::string_view uri) {
  while (uri.ends_with('/') && uri.size() > 1 && !uri.ends_with("//")) uri.remove_suffix(1);
  auto it = std::find_if(t.resources.begin(), t.resources.end(), [&](const resource& r) {
    std::string_view known = r.app_id_uri;
    while (known.ends_with('/')) known.remove_suffix(1);
    return known == uri || r.app_id == uri;
  });
  return it == t.resources.end() ? nullptr : &*it;
}

std::string sign(authority_core& core, const boost::json::object& claims) {
  return identity::sign_jwt(core.signing_key, {{"kid", core.key_id}}, boost::json::serialize(claims));
}

std::string app_only_access_token(authority_core& core, const tenant& t, const resource& res, const app_principal& who,
                                  std::chrono::seconds lifetime) {
  auto now = clock::now();
  boost::json::array roles;
  if (auto granted = who.application_permissions.find(res.app_id_uri); granted != who.application_permissions.end())
    for (const auto& role : granted->second) roles.emplace_back(role.c_str());
  boost::json::object access{{"aud", res.app_id},
                             {"iss", core.issuer_for(t)},
                             {"iat", seconds_since_epoch(now)},
                             {"nbf", seconds_since_epoch(now)},
                             {"exp", seconds_since_epoch(now + lifetime)},
                             {"roles", roles},
                             {"oid", who.object_id},
                             {"sub", who.object_id},
                             {"tid", t.id},
                             {"azp", who.client_id},
                             {"idtyp", "app"},
                             {"ver", "2.0"},
                             {"uti", crypto::random_token(12)}};
  shape_for_version(core, t, &res, access);
  return sign(core, access);
}

std::vector<std::string> requested_contexts(std::string_view claims) {
  if (claims.empty()) return {};
  auto doc = identity::json_object::parse(claims);
  if (!doc) return {};
  auto access = doc->object("access_token");
  if (!access) return {};
  auto acrs = access->object("acrs");
  if (!acrs) return {};
  if (auto one = acrs->string("value")) return {*one};
  return acrs->strings("values").value_or(std::vector<std::string>{});
}

bool is_openid_scope(std::string_view scope) { return scope == "openid" || scope == "profile" || scope == "offline_access" || scope == "email"; }

result<std::map<const resource*, requested_scopes>, protocol_error> resource_scopes(const tenant& t, const app& a,
                                                                                    const std::vector<std::string>& scopes) {
  std::map<const resource*, requested_scopes> out;
  auto add = [](requested_scopes& r, const std::string& name) {
    if (std::find(r.names.begin(), r.names.end(), name) == r.names.end()) r.names.push_back(name);
  };
  for (const auto& scope : scopes) {
    if (is_openid_scope(scope)) continue;
    const resource* res = t.resource_for_scope(scope);
    if (!res)
      return reject(400, "invalid_scope", 650053,
                    "The application asked for scope '" + scope + "' that doesn't exist on any resource of the tenant.");
    auto name = scope.substr(scope.rfind('/') == std::string::npos ? 0 : scope.rfind('/') + 1);
    auto& r = out[res];
    if (name == ".default") {
      if (auto required = a.required_permissions.find(res->app_id_uri); required != a.required_permissions.end()) {
        for (const auto& permission : required->second) {
          add(r, permission);
          r.admin_consented.insert(permission);
        }
      }
      continue;
    }
    auto declared = std::find_if(res->scopes.begin(), res->scopes.end(), [&](const std::string& s) { return text::iequals(s, name); });
    if (declared == res->scopes.end())
      return reject(400, "invalid_scope", 650053,
                    "The application asked for scope '" + name + "' that doesn't exist on the resource '" + res->app_id_uri + "'.");
    add(r, *declared);
  }
  return out;
}

void handle_token(authority_core& core, const http::exchange_ptr& x) {
  // Entra echoes the caller's client-request-id, in a header and in error bodies.
  auto correlation_id = std::string(x->req().headers.find("client-request-id").value_or(""));
  auto answer = [&](http::response r) {
    if (!correlation_id.empty()) r.headers.set("client-request-id", correlation_id);
    x->respond(std::move(r));
  };
  auto form = form_of(*x);
  if (!form)
    return answer(error_response({400, "invalid_request", 900144, "The request body must be application/x-www-form-urlencoded."}, correlation_id));
  std::lock_guard lock(core.mutex);
  auto tenant_path = std::string(x->param("tenant"));
  const tenant* t = core.tenant_for(tenant_path);
  if (!t) return answer(error_response({400, "invalid_request", 90002, "Tenant '" + tenant_path + "' not found."}, correlation_id));
  if (auto bad_policy = check_policy(core, *x)) return answer(error_response(*bad_policy, correlation_id));
  auto grant = std::string(form->find("grant_type").value_or(""));
  ++core.token_requests[grant];
  core.recent_token_requests.push_back({grant, tenant_path, x->req().query, correlation_id, std::string(form->find("claims").value_or("")),
                                        std::string(form->find("scope").value_or("")),
                                        std::string(x->req().headers.find("traceparent").value_or(""))});
  if (core.recent_token_requests.size() > 100) core.recent_token_requests.pop_front();
  auto client = authenticate(core, route_prefix(*x), *form, x->req().headers);
  if (!client) return answer(error_response(client.error(), correlation_id));
  result<std::string, protocol_error> issued =
      failure{protocol_error{400, "unsupported_grant_type", 70003, "The grant type '" + grant + "' is not supported."}};
  if (grant == "authorization_code") issued = redeem_code(core, **client, *form);
  if (grant == "refresh_token") issued = redeem_refresh_token(core, **client, *form);
  if (grant == "client_credentials") issued = app_token(core, *t, **client, *form);
  // B2C user flows have no on-behalf-of grant.
  if (grant == jwt_bearer_grant && x->param("policy").empty()) issued = on_behalf_of(core, *t, **client, *form);
  answer(issued ? json_response(200, std::move(*issued)) : error_response(issued.error(), correlation_id));
}

} // namespace onbehalf::devauthority
