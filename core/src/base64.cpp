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

std::optional<std::string> decode(std::string_view text, alphabet a) {
  const auto& reverse = a == alphabet::url ? url_reverse : standard_reverse;
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    auto v = reverse[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, or two different texts would decode to the same bytes.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

} // namespace onbehalf::base64
