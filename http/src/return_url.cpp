#include "onbehalf/http/return_url.hpp"

#include "onbehalf/core/text.hpp"

namespace onbehalf::http {

namespace {

constexpr std::size_t max_return_url = 2048;

bool looks_local(std::string_view s) {
  if (s.empty() || s.front() != '/') return false;
  // "//host" and "/\host" are read by browsers as another host.
  if (s.size() > 1 && (s[1] == '/' || s[1] == '\\')) return false;
  for (unsigned char c : s)
    // Browsers drop tabs and newlines inside URLs ("/\t/evil" becomes "//evil") and treat '\' as '/'.
    if (c < 0x20 || c == 0x7f || c == '\\') return false;
  return true;
}

// RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF. A return URL travels as JSON
// text in the sign-in correlation cookie, and a JSON parser refuses anything else: a sign-in
// that started with it could not finish.
bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t continuations = 0;
    unsigned char low = 0x80, high = 0xBF; // the bounds of the first continuation byte
    if (c >= 0xC2 && c <= 0xDF) {
      continuations = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      continuations = 2;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      continuations = 3;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i <= continuations) return false;
    for (std::size_t k = 1; k <= continuations; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if (d < (k == 1 ? low : 0x80) || d > (k == 1 ? high : 0xBF)) return false;
    }
    i += continuations + 1;
  }
  return true;
}

} // namespace

std::optional<std::string> local_return_url(std::string_view candidate) {
  if (candidate.size() > max_return_url || !looks_local(candidate) || !valid_utf8(candidate)) return std::nullopt;
  if (auto decoded = text::percent_decode(candidate); !decoded || !looks_local(*decoded)) return std::nullopt;
  return std::string(candidate);
}

} // namespace onbehalf::http
