// What the token endpoint answered, as a typed outcome: tokens, or a failure that says what
// must happen next (send the user to the authority, fix configuration, wait, retry).
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::identity {

/// The longest expires_in or refresh_in believed from an authority (a year); longer is read as
/// this, so that no number an authority sends can overflow the clock.
inline constexpr std::chrono::seconds longest_token_lifetime{365 * 24 * 3600};

struct token_response {
  secret access_token;
  std::string token_type;
  secret refresh_token; // empty when the authority sent none
  std::string id_token;
  std::vector<std::string> scopes; // as granted
  std::chrono::seconds expires_in{0};
  std::optional<std::chrono::seconds> refresh_in; // the authority's hint to refresh early
  std::string client_info;                        // Entra: base64url {"uid","utid"}
};

enum class failure_kind {
  interaction_required, // the user must visit the authority: consent, MFA, sign in again
  configuration_error,  // the app's registration or settings are wrong; `config_key` says which
  service_error,        // the authority failed or throttles; retry later (after `retry_after`)
  network_error,        // the authority could not be reached
  invalid_response,     // the authority answered something that is not a token response
};

enum class interaction_reason { none, consent_required, mfa_required, refresh_token_expired, login_required, claims_challenge };

struct token_failure {
  failure_kind kind = failure_kind::service_error;
  interaction_reason reason = interaction_reason::none;
  std::string error;             // the OAuth error code, e.g. invalid_grant
  std::string description;       // the authority's own words
  std::vector<long> error_codes; // Entra AADSTS numbers
  std::string claims;            // a claims challenge to pass to the next authorize request
  std::string config_key;        // for configuration errors: the setting to fix
  unsigned http_status = 0;
  std::optional<std::chrono::seconds> retry_after;
  std::string correlation_id;

  bool has_code(long aadsts) const;
  /// A plain-words explanation that names what to do.
  std::string message() const;
};

std::string_view to_string(failure_kind k);
std::string_view to_string(interaction_reason r);

/// A Retry-After header's delay in seconds (at most a day); nullopt for none, or for an HTTP date.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view header);

/// Interprets the token endpoint's HTTP status, body and Retry-After header.
result<token_response, token_failure> read_token_response(unsigned http_status, std::string_view body, std::string_view retry_after = {});

/// The failure for an authority that could not be reached (refused, reset, timed out).
token_failure network_failure(std::string what);

/// A refresh-token grant's failure read as what it means for that grant. RFC 6749 section 6:
/// invalid_scope there means the scope "exceeds the scope granted by the resource owner" — a
/// consent the user can give (oidc-provider answers so; Entra answers AADSTS65001 instead).
token_failure as_refresh_failure(token_failure f);

} // namespace onbehalf::identity
