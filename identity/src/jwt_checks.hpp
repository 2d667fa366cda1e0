// The rules id_tokens and access tokens share: a verified signature, required claims, the
// issuer (with Entra's {tenantid} template), and the lifetime. Private to identity/.
#pragma once

#include "onbehalf/identity/id_token.hpp"

#include <initializer_list>
#include <optional>

namespace onbehalf::identity {

/// The claims of a token whose signature verifies with one of `keys`. With `types`, a token whose
/// header names its type (typ) must name one of them (case aside).
result<json_object, token_error> verified_claims(std::string_view token, const key_set& keys, std::initializer_list<std::string_view> types = {});
std::optional<token_error> check_required(const json_object& claims, std::initializer_list<std::string_view> required);
std::optional<token_error> check_issuer(const json_object& claims, const std::string& configured_issuer);
std::optional<token_error> check_lifetime(const json_object& claims, std::chrono::system_clock::time_point now, std::chrono::seconds clock_skew);

} // namespace onbehalf::identity
