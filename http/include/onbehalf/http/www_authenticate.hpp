// WWW-Authenticate (RFC 7235 section 4.1): the challenges an API answers a 401 or 403 with, read
// robustly — several challenges in one header or in several headers, quoted strings with
// escapes, token68 credentials, parameters in any case and order. And the credentials such
// challenges ask for: `Authorization: Bearer` (RFC 6750).
#pragma once

#include "onbehalf/http/message.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onbehalf::http {

struct auth_challenge {
  std::string scheme;                                      // as sent; compare without case
  std::string token68;                                     // for schemes that carry one opaque value instead of parameters
  std::vector<std::pair<std::string, std::string>> params; // names lower-cased, values unquoted

  /// A parameter's value; names compare without case.
  std::optional<std::string_view> param(std::string_view name) const;
};

/// Every challenge of one header value. Malformed parts end the parse: what came before them is
/// kept, nothing after them is guessed.
std::vector<auth_challenge> parse_www_authenticate(std::string_view header_value);

/// Every challenge of every WWW-Authenticate header of a response.
std::vector<auth_challenge> www_authenticate_challenges(const header_list& headers);

/// The token of `Authorization: Bearer <token>` (RFC 6750 section 2.1, b64token): nullopt when
/// the request has no such header, an empty view when it is malformed or there are two.
std::optional<std::string_view> bearer_token_of(const request& r);

/// `value` as an RFC 9110 quoted-string, '"' and '\\' escaped: for parameters of challenges this
/// server writes. Control characters are a caller's mistake; they are left out.
std::string quoted_string(std::string_view value);

} // namespace onbehalf::http
