#include "onbehalf/core/base64.hpp"

#include <array>

namespace onbehalf::base64 {

namespace {

constexpr std::string_view standard_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> reverse_table(std::string_view chars) {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < chars.size(); ++i) table[static_cast<unsigned char>(chars[i])] = static_cast<std::int8_t>(i);
  return table;
}

constexpr auto standard_reverse = reverse_table(standard_chars);
constexpr auto url_reverse = reverse_table(url_chars);

} // namespace

std::string encode(std::string_view bytes, alphabet a) {
  const auto chars = a == alphabet::url ? url_chars : standard_chars;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    auto n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += chars[(n >> 18) & 63];
    out += chars[(n >> 12) & 63];
    out += chars[(n >> 6) & 63];
    out += chars[n & 63];
  }
  auto rest = bytes.size() - i;
  if (rest > 0) {
    auto n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += chars[(n >> 18) & 63];
    out += chars[(n >> 12) & 63];
    if (rest == 2) out += chars[(n >> 6) & 63];
    if (a == alphabet::standard) out.append(3 - rest, '=');
  }
  return out;
}

// Four characters at a time into a buffer sized once: every request decodes its session cookie.
std::optional<std::string> decode(std::string_view text, alphabet a) {
  const auto& reverse = a == alphabet::url ? url_reverse : standard_reverse;
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  auto rest = text.size() % 4;
  if (rest == 1) return std::nullopt;
  std::string out(text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  auto* o = out.data();
  auto value = [&](std::size_t i) { return static_cast<std::int32_t>(reverse[static_cast<unsigned char>(text[i])]); };
  std::size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    auto w = value(i), x = value(i + 1), y = value(i + 2), z = value(i + 3);
    if ((w | x | y | z) < 0) return std::nullopt;
    auto n = static_cast<std::uint32_t>(w << 18 | x << 12 | y << 6 | z);
    *o++ = static_cast<char>(n >> 16);
    *o++ = static_cast<char>(n >> 8);
    *o++ = static_cast<char>(n);
  }
  // The last two or three characters: their leftover low bits must be zero, or two different
  // texts would decode to the same bytes.
  if (rest == 2) {
    auto w = value(i), x = value(i + 1);
    if ((w | x) < 0 || (x & 0x0F) != 0) return std::nullopt;
    *o = static_cast<char>(w << 2 | x >> 4);
  } else if (rest == 3) {
    auto w = value(i), x = value(i + 1), y = value(i + 2);
    if ((w | x | y) < 0 || (y & 0x03) != 0) return std::nullopt;
    auto n = static_cast<std::uint32_t>(w << 10 | x << 4 | y >> 2);
    *o++ = static_cast<char>(n >> 8);
    *o = static_cast<char>(n);
  }
  return out;
}

} // namespace onbehalf::base64
