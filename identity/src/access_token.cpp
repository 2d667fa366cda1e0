#include "onbehalf/identity/access_token.hpp"

#include "jwt_checks.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>

namespace onbehalf::identity {

result<json_object, token_error> validate_access_token(std::string_view token, const key_set& keys, const access_token_rules& rules) {
  auto verified = verified_claims(token, keys);
  if (!verified) return verified;
  const auto& c = *verified;
  if (auto problem = check_required(c, {"iss", "aud", "exp"})) return failure{*problem};
  if (auto problem = check_issuer(c, rules.issuer)) return failure{*problem};
  auto audiences = c.strings("aud").value_or(std::vector<std::string>{});
  bool ours = std::any_of(audiences.begin(), audiences.end(),
                          [&](const std::string& a) { return std::find(rules.audiences.begin(), rules.audiences.end(), a) != rules.audiences.end(); });
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
