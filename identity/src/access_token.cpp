#include "onbehalf/identity/access_token.hpp"

#include "jwt_checks.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>

namespace onbehalf::identity {

namespace {

// Entra's v2 issuer for the token's tenant ({scheme}://{host}/{tid}/v2.0) also issues v1 tokens,
// to APIs whose manifest asks for them, as https://sts.windows.net/{tid}/.
bool is_entra_v1_issuer_of(const json_object& c, const std::string& configured) {
  auto tid = c.string("tid");
  auto iss = c.string("iss");
  if (!tid || tid->empty() || tid->find('/') != std::string::npos || iss != "https://sts.windows.net/" + *tid + "/") return false;
  auto v2 = configured;
  if (auto at = v2.find("{tenantid}"); at != std::string::npos) v2.replace(at, 10, *tid);
  auto scheme_end = v2.find("://");
  auto path = scheme_end == std::string::npos ? std::string::npos : v2.find('/', scheme_end + 3);
  return path != std::string::npos && v2.substr(path) == "/" + *tid + "/v2.0";
}

} // namespace

result<json_object, token_error> validate_access_token(std::string_view token, const key_set& keys, const access_token_rules& rules) {
  auto verified = verified_claims(token, keys, {"JWT", "at+jwt", "application/at+jwt"});
  if (!verified) return verified;
  const auto& c = *verified;
  if (auto problem = check_required(c, {"iss", "aud", "exp"})) return failure{*problem};
  if (auto problem = check_issuer(c, rules.issuer); problem && !is_entra_v1_issuer_of(c, rules.issuer)) return failure{*problem};
  if (!rules.allowed_tenants.empty()) {
    auto tid = c.string("tid").value_or("");
    if (std::none_of(rules.allowed_tenants.begin(), rules.allowed_tenants.end(), [&](const std::string& t) { return text::iequals(t, tid); }))
      return failure{token_error{token_rejection::wrong_tenant, "the token's tenant \"" + tid.substr(0, 64) + "\" is not one this API admits"}};
  }
  auto audiences = c.strings("aud").value_or(std::vector<std::string>{});
  bool ours = std::any_of(audiences.begin(), audiences.end(), [&](const std::string& a) {
    return std::find(rules.audiences.begin(), rules.audiences.end(), a) != rules.audiences.end();
  });
  if (!ours) return failure{token_error{token_rejection::wrong_audience, "the token is for \"" + text::join(audiences, " ") + "\", not this API"}};
  if (auto problem = check_lifetime(c, rules.now, rules.clock_skew)) return failure{*problem};
  return c;
}

std::vector<std::string> scopes_of(const json_object& claims) {
  std::vector<std::string> out;
  // Entra names them "scp"; RFC 9068 JWT access tokens (oidc-provider and others) "scope".
  auto scp = claims.string("scp").value_or(claims.string("scope").value_or(""));
  for (auto scope : text::split(scp, ' '))
    if (!scope.empty()) out.emplace_back(scope);
  return out;
}

std::vector<std::string> roles_of(const json_object& claims) { return claims.strings("roles").value_or(std::vector<std::string>{}); }

} // namespace onbehalf::identity
