#include "simple_head.hpp"

#include "wire.hpp"

#include "onbehalf/core/text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace onbehalf::http::detail {

namespace {

constexpr std::size_t max_fields = 64; // more is unusual enough to leave to Beast

struct field_view {
  std::string_view name;
  std::string_view value;
};

bool ends_value(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7F; }

// The first byte from `p` that cannot be inside a field value: a control character other than
// HTAB, or DEL. In a well-formed line that is its CR. Eight bytes are checked at once: a byte
// below 0x20 or equal to 0x7F sets a high bit (exact for presence), and only then are the eight
// looked at one by one (an HTAB is allowed, so the scan goes on past it).
const char* value_end(const char* p, const char* end) {
  constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  while (end - p >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    std::uint64_t below_space = (v - ones * 0x20) & ~v & highs;
    std::uint64_t x = v ^ (ones * 0x7F);
    std::uint64_t del = (x - ones) & ~x & highs;
    if (below_space | del) {
      for (int i = 0; i < 8; ++i)
        if (ends_value(static_cast<unsigned char>(p[i]))) return p + i;
    }
    p += 8;
  }
  while (p < end && !ends_value(static_cast<unsigned char>(*p))) ++p;
  return p;
}

bool is_target_char(char c) { return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F; }

// Reads "CRLF" at `p`; false for a bare CR or LF.
bool line_end(const char*& p, const char* end) {
  if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return false;
  p += 2;
  return true;
}

// Field lines up to and including the blank line. False for anything outside the subset:
// obs-fold, whitespace before the colon, a control character in a value, a missing line end.
bool read_fields(const char*& p, const char* end, std::array<field_view, max_fields>& fields, std::size_t& count) {
  count = 0;
  for (;;) {
    if (p == end) return false;
    if (*p == '\r') return line_end(p, end);
    if (count == fields.size()) return false;
    const char* name = p;
    while (p < end && is_tchar(*p)) ++p;
    if (p == name || p == end || *p != ':') return false;
    std::string_view field_name(name, static_cast<std::size_t>(p - name));
    ++p;
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    const char* value = p;
    p = value_end(p, end);
    const char* value_last = p;
    while (value_last > value && (value_last[-1] == ' ' || value_last[-1] == '\t')) --value_last;
    if (!line_end(p, end)) return false;
    fields[count++] = {field_name, std::string_view(value, static_cast<std::size_t>(value_last - value))};
  }
}

// A body, an expectation or a protocol switch: Beast's to read.
bool needs_full_parser(std::string_view name) {
  return text::iequals(name, "Content-Length") || text::iequals(name, "Transfer-Encoding") || text::iequals(name, "Expect") ||
         text::iequals(name, "Upgrade");
}

} // namespace

std::optional<simple_head> read_simple_request_head(std::string_view bytes, std::size_t max_head_bytes, request& target) {
  if (bytes.size() > max_head_bytes) bytes = bytes.substr(0, max_head_bytes);
  const char* begin = bytes.data();
  const char* end = begin + bytes.size();
  const char* p = begin;

  const char* method = p;
  while (p < end && is_tchar(*p)) ++p;
  if (p == method || p == end || *p != ' ') return std::nullopt;
  std::string_view method_text(method, static_cast<std::size_t>(p - method));
  const char* request_target = ++p;
  while (p < end && is_target_char(*p)) ++p;
  if (p == request_target || p == end || *p != ' ') return std::nullopt;
  std::string_view target_text(request_target, static_cast<std::size_t>(p - request_target));
  ++p;
  constexpr std::string_view http = "HTTP/1.";
  if (end - p < static_cast<std::ptrdiff_t>(http.size() + 1) || std::string_view(p, http.size()) != http) return std::nullopt;
  p += http.size();
  if (*p != '0' && *p != '1') return std::nullopt;
  simple_head head;
  head.version = *p == '1' ? 11 : 10;
  ++p;
  if (!line_end(p, end)) return std::nullopt;

  std::array<field_view, max_fields> fields;
  std::size_t count = 0;
  if (!read_fields(p, end, fields, count)) return std::nullopt;

  // RFC 9112 section 9.3: 1.1 keeps the connection unless told "close"; 1.0 closes it unless
  // told "keep-alive". A Connection field with anything else (a list, "upgrade") is Beast's.
  head.keep_alive = head.version == 11;
  bool connection_seen = false;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& f = fields[i];
    if (needs_full_parser(f.name)) return std::nullopt;
    if (!text::iequals(f.name, "Connection")) continue;
    if (connection_seen) return std::nullopt;
    connection_seen = true;
    if (text::iequals(f.value, "close")) {
      head.keep_alive = false;
    } else if (text::iequals(f.value, "keep-alive")) {
      head.keep_alive = true;
    } else {
      return std::nullopt;
    }
  }

  head.size = static_cast<std::size_t>(p - begin);
  target.method.assign(method_text);
  target.target.assign(target_text);
  auto q = target_text.find('?');
  target.path.assign(target_text.substr(0, q));
  if (q != std::string_view::npos) target.query.assign(target_text.substr(q + 1));
  target.headers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) target.headers.add(fields[i].name, std::string(fields[i].value));
  return head;
}

} // namespace onbehalf::http::detail
