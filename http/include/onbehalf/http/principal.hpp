// The signed-in user as handlers see them: their home account id and the claims of their
// id_token, flattened to (type, value) pairs as ClaimsPrincipal does (an array claim such as
// `roles` gives one pair per value).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onbehalf::http {

struct principal {
  std::string home_account_id; // oid.tid for Entra users; sub.issuer-hash for other providers
  std::vector<std::pair<std::string, std::string>> claims;
  /// A web API's caller that is an application on its own (client credentials: app roles, no
  /// delegated scopes), not a user; always false for signed-in users of a web app.
  bool is_app = false;
  /// A web API's caller, admitted by the access token it presented (Authorization: Bearer)
  /// rather than by a session: tokens for downstream APIs are acquired on behalf of that token.
  bool by_access_token = false;
  /// by_access_token: the token's SHA-256 (base64url), under which tokens acquired on its behalf
  /// are kept; computed once per token, not per request.
  std::string access_token_digest{};

  /// The first value of a claim, if the user has it.
  std::optional<std::string_view> claim(std::string_view type) const;
  /// True when the user has claim `type` with `value`. `scp` (space-separated scopes) is read
  /// value by value, so a requirement on one scope matches a token that carries several.
  bool has_claim(std::string_view type, std::string_view value) const;
  /// `name`, else `preferred_username`, else the home account id: something to greet them by.
  std::string_view display_name() const;
  /// `preferred_username` (the sign-in name), used as login_hint when they must sign in again.
  std::string_view username() const;
};

/// A route's requirement on the user's claims: they must have `type` with one of `any_of`.
struct claim_requirement {
  std::string type;
  std::vector<std::string> any_of;
  bool satisfied_by(const principal& user) const;
};

} // namespace onbehalf::http
