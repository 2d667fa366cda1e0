// Validating an access token an API receives (what AddMicrosoftIdentityWebApi does): signature,
// issuer, audience and lifetime; then the scopes (delegated) or roles (application) it carries.
#pragma once

#include "onbehalf/identity/id_token.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::identity {

struct access_token_rules {
  /// From discovery; Entra's {tenantid} template is filled from the token's tid. Where it has
  /// Entra's shape ({host}/{tid}/v2.0), v1 tokens of that tenant (https://sts.windows.net/{tid}/,
  /// which Entra issues to APIs that ask for v1) are accepted too.
  std::string issuer;
  std::vector<std::string> audiences; // the API's app id and app id URI: either may appear in `aud`
  /// A multi-tenant API's allow-list of tenant ids (tid); empty admits every tenant the issuer does.
  std::vector<std::string> allowed_tenants;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::chrono::seconds clock_skew{300};
};

/// Returns the token's claims when every rule holds. A token whose header names its type must be
/// a JWT access token (typ JWT, at+jwt or application/at+jwt, RFC 9068).
result<json_object, token_error> validate_access_token(std::string_view token, const key_set& keys, const access_token_rules& rules);

/// The delegated scopes a token carries (`scp` as Entra writes it, or RFC 9068's `scope`;
/// space-separated), and its app roles (`roles`).
std::vector<std::string> scopes_of(const json_object& claims);
std::vector<std::string> roles_of(const json_object& claims);

} // namespace onbehalf::identity
