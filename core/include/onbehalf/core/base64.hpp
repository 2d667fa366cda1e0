// Base64 (RFC 4648 section 4) and base64url (section 5) without padding surprises.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::base64 {

enum class alphabet { standard, url };

/// Encodes bytes; the standard alphabet pads with '=', base64url does not (as JOSE and cookies want).
std::string encode(std::string_view bytes, alphabet a = alphabet::standard);

/// Decodes text in the given alphabet, with or without padding. Any other character,
/// or a length no encoder produces, gives nullopt.
std::optional<std::string> decode(std::string_view text, alphabet a = alphabet::standard);

} // namespace onbehalf::base64
