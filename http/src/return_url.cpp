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

} // namespace

std::optional<std::string> local_return_url(std::string_view candidate) {
  if (candidate.size() > max_return_url || !looks_local(candidate)) return std::nullopt;
  if (auto decoded = text::percent_decode(candidate); !decoded || !looks_local(*decoded)) return std::nullopt;
  return std::string(candidate);
}

} // namespace onbehalf::http
