// Validating an id_token (OpenID Connect Core 3.1.3.7): signature, issuer, audience, times, nonce.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/identity/jose.hpp"

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace onbehalf::identity {

struct id_token_rules {
  /// The issuer from discovery. Entra's multi-tenant metadata (common, organizations) gives
  /// "https://login.microsoftonline.com/{tenantid}/v2.0"; "{tenantid}" is then filled from the token's tid.
  std::string issuer;
  std::string audience; // the client id
  std::string nonce;    // the one sent with this sign-in; required
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::chrono::seconds clock_skew{300};
};

/// Why a token was refused; one reason per rule, so callers can act (unknown_key: refetch the JWKS).
enum class token_rejection {
  malformed,
  unsupported_algorithm,
  unknown_key,
  bad_signature,
  wrong_issuer,
  wrong_audience,
  wrong_authorized_party,
  expired,
  not_yet_valid,
  issued_in_future,
  missing_claim,
  wrong_nonce,
  wrong_type,   // an access token's typ names another kind of token
  wrong_tenant, // a multi-tenant API's caller from a tenant it does not admit
};

std::string_view to_string(token_rejection r);

struct token_error {
  token_rejection reason;
  std::string message;
};

/// The id that partitions an account's sessions and tokens: "oid.tid" for Entra users (as MSAL's
/// home account id) — when the issuer names that tenant, as Entra's do — else
/// "sub.{hash of the issuer}", since `sub` is only unique per issuer.
/// Empty when the claims have neither.
std::string home_account_id(const json_object& claims);

/// Claims as (type, value) pairs: arrays give one pair per element, numbers and booleans their
/// JSON text, objects their JSON text.
std::vector<std::pair<std::string, std::string>> flatten_claims(const json_object& claims);

/// Returns the token's claims when every rule holds.
result<json_object, token_error> validate_id_token(std::string_view token, const key_set& keys, const id_token_rules& rules);

} // namespace onbehalf::identity
