#include "simple_head.hpp"

#include "framing.hpp"
#include "wire.hpp"

#include "onbehalf/core/text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace onbehalf::http::detail {

namespace {

constexpr std::size_t max_fields = 64; // more is unusual enough to leave to Beast

} // namespace

field_kind kind_of(std::string_view name) {
  switch (name.size()) {
  case 4: return text::iequals(name, "Host") ? field_kind::host : field_kind::other;
  case 6: return text::iequals(name, "Expect") ? field_kind::expect : field_kind::other;
  case 7: return text::iequals(name, "Upgrade") ? field_kind::upgrade : field_kind::other;
  case 10: return text::iequals(name, "Connection") ? field_kind::connection : field_kind::other;
  case 14: return text::iequals(name, "Content-Length") ? field_kind::content_length : field_kind::other;
  case 16: return text::iequals(name, "Proxy-Connection") ? field_kind::proxy_connection : field_kind::other;
  case 17: return text::iequals(name, "Transfer-Encoding") ? field_kind::transfer_encoding : field_kind::other;
  default: return field_kind::other;
  }
}

namespace {

// Pointers rather than string_views, and no initializers: an array of 64 is then left as it is
// until filled, not zeroed on every message.
struct field_view {
  const char* name_begin;
  const char* name_end;
  const char* value_begin;
  const char* value_end;
  field_kind kind;
  std::string_view name() const { return {name_begin, static_cast<std::size_t>(name_end - name_begin)}; }
  std::string_view value() const { return {value_begin, static_cast<std::size_t>(value_end - value_begin)}; }
};

bool ends_value(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7F; }

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
    const char* name_end = p;
    ++p;
    while (p < end && (*p == ' ' || *p == '\t')) ++p;
    const char* value = p;
    p = value_end(p, end);
    const char* value_last = p;
    while (value_last > value && (value_last[-1] == ' ' || value_last[-1] == '\t')) --value_last;
    if (!line_end(p, end)) return false;
    fields[count++] = {name, name_end, value, value_last, kind_of(std::string_view(name, static_cast<std::size_t>(name_end - name)))};
  }
}

// RFC 9112 section 9.3: 1.1 keeps the connection unless told "close"; 1.0 closes it unless
// told "keep-alive". A Connection field with anything else (a list, "upgrade"), or two of them,
// is Beast's: false.
bool read_connection(const field_view* fields, std::size_t count, simple_head& head) {
  head.keep_alive = head.version == 11;
  bool seen = false;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& f = fields[i];
    if (f.kind != field_kind::connection) continue;
    if (seen) return false;
    seen = true;
    if (text::iequals(f.value(), "close")) {
      head.keep_alive = false;
    } else if (text::iequals(f.value(), "keep-alive")) {
      head.keep_alive = true;
    } else {
      return false;
    }
  }
  return true;
}

// "HTTP/1.0" or "HTTP/1.1" at `p`.
bool read_version(const char*& p, const char* end, simple_head& head) {
  constexpr std::string_view http = "HTTP/1.";
  if (end - p < static_cast<std::ptrdiff_t>(http.size() + 1) || std::string_view(p, http.size()) != http) return false;
  p += http.size();
  if (*p != '0' && *p != '1') return false;
  head.version = *p == '1' ? 11 : 10;
  ++p;
  return true;
}

void add_fields(header_list& headers, const field_view* fields, std::size_t count) {
  headers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) headers.add(fields[i].name(), std::string(fields[i].value()));
}

} // namespace

// Eight bytes at once: a byte below 0x20 or equal to 0x7F sets a high bit (exact for presence),
// and only then are the eight looked at one by one (an HTAB is allowed, so the scan goes on).
const char* value_end_swar(const char* p, const char* end) {
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

#if defined(__SSE2__)
// Sixteen bytes at once with SSE2, which every x86-64 processor has: a byte is a control
// character when the unsigned minimum of it and 0x1F is itself.
const char* value_end_sse2(const char* p, const char* end) {
  const __m128i last_control = _mm_set1_epi8(0x1F), del = _mm_set1_epi8(0x7F);
  auto stops_in = [&](const char* at) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    return _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, last_control), v), _mm_cmpeq_epi8(v, del));
  };
  // Long values (a bearer token, a cookie) go 32 bytes a step until something needs a closer look.
  while (end - p >= 32 && _mm_movemask_epi8(_mm_or_si128(stops_in(p), stops_in(p + 16))) == 0) p += 32;
  while (end - p >= 16) {
    __m128i stops = stops_in(p);
    for (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(stops)); mask != 0; mask &= mask - 1) {
      int i = __builtin_ctz(mask);
      if (p[i] != '\t') return p + i;
    }
    p += 16;
  }
  return value_end_swar(p, end);
}
#endif

const char* value_end(const char* p, const char* end) {
#if defined(__SSE2__)
  return value_end_sse2(p, end);
#else
  return value_end_swar(p, end);
#endif
}

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
  simple_head head;
  if (!read_version(p, end, head) || !line_end(p, end)) return std::nullopt;

  std::array<field_view, max_fields> fields;
  std::size_t count = 0;
  if (!read_fields(p, end, fields, count) || !read_connection(fields.data(), count, head)) return std::nullopt;
  // A body, an expectation, a protocol switch or a Proxy-Connection (which Beast reads as
  // Connection): Beast's to read. So is a Host the server refuses (framing.hpp), to refuse there.
  int hosts = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& f = fields[i];
    if (f.kind == field_kind::host) {
      if (++hosts > 1 || !valid_host(f.value())) return std::nullopt;
    } else if (f.kind != field_kind::other && f.kind != field_kind::connection) {
      return std::nullopt;
    }
  }
  if (head.version == 11 && hosts == 0) return std::nullopt;

  head.size = static_cast<std::size_t>(p - begin);
  target.method.assign(method_text);
  target.target.assign(target_text);
  auto q = target_text.find('?');
  target.path.assign(target_text.substr(0, q));
  if (q != std::string_view::npos) target.query.assign(target_text.substr(q + 1));
  add_fields(target.headers, fields.data(), count);
  return head;
}

head_scan scan_request_head(std::string_view bytes) {
  const char* begin = bytes.data();
  const char* end = begin + bytes.size();
  auto malformed = [](const char* problem) { return head_scan{head_scan::state::malformed, 0, problem}; };
  // The line's end: a CR must be followed by LF, and LF preceded by CR; nullptr while incomplete.
  auto line_end_at = [&](const char* p, const char*& problem) -> const char* {
    for (; p < end; ++p) {
      if (*p == '\n') return (problem = "a line ends in LF without CR"), nullptr;
      if (*p != '\r') continue;
      if (p + 1 == end) return nullptr;
      if (p[1] != '\n') return (problem = "a CR is not followed by LF"), nullptr;
      return p;
    }
    return nullptr;
  };
  const char* problem = nullptr;
  const char* p = line_end_at(begin, problem); // the request line: Beast reads its parts
  if (problem) return malformed(problem);
  if (!p) return {};
  // ...but a line that does not end in an HTTP-version leaves Beast waiting for more of it (it
  // reads eight bytes of version wherever they are), while the head is whole: the client would
  // wait for an answer until the request timeout.
  static constexpr std::string_view version_start = " HTTP/";
  std::string_view line(begin, static_cast<std::size_t>(p - begin));
  auto version = line.size() >= version_start.size() + 3 ? line.substr(line.size() - version_start.size() - 3) : std::string_view();
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!version.starts_with(version_start) || !digit(version[6]) || version[7] != '.' || !digit(version[8]))
    return malformed("the request line does not end with an HTTP version");
  p += 2;
  for (;;) {
    const char* eol = line_end_at(p, problem);
    if (problem) return malformed(problem);
    if (!eol) return {};
    if (eol == p) return {head_scan::state::whole, static_cast<std::size_t>(eol + 2 - begin), ""};
    if (*p == ' ' || *p == '\t') return malformed("a field line is folded onto the next (obs-fold)");
    const char* name = p;
    while (p < eol && is_tchar(*p)) ++p;
    if (p == name || p == eol || *p != ':') return malformed("a field name is not a token followed by a colon");
    if (value_end(p + 1, eol) != eol) return malformed("a field value holds a control character");
    p = eol + 2;
  }
}

std::optional<simple_response_head> read_simple_response_head(std::string_view bytes, std::size_t max_head_bytes, client_response& target) {
  if (bytes.size() > max_head_bytes) bytes = bytes.substr(0, max_head_bytes);
  const char* begin = bytes.data();
  const char* end = begin + bytes.size();
  const char* p = begin;

  simple_response_head head;
  if (!read_version(p, end, head)) return std::nullopt;
  if (end - p < 5 || p[0] != ' ' || p[4] != ' ') return std::nullopt;
  unsigned status = 0;
  for (int i = 1; i <= 3; ++i) {
    if (p[i] < '0' || p[i] > '9') return std::nullopt;
    status = status * 10 + static_cast<unsigned>(p[i] - '0');
  }
  // An interim answer, or one that has no body whatever its fields say: Beast's.
  if (status < 200 || status == 204 || status == 304) return std::nullopt;
  p = value_end(p + 5, end); // the reason phrase: nobody reads it, but it must be text
  if (!line_end(p, end)) return std::nullopt;

  std::array<field_view, max_fields> fields;
  std::size_t count = 0;
  if (!read_fields(p, end, fields, count) || !read_connection(fields.data(), count, head)) return std::nullopt;
  // Exactly one Content-Length of digits, and no Transfer-Encoding: otherwise Beast's.
  std::optional<std::uint64_t> length;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& f = fields[i];
    // Beast reads Proxy-Connection as Connection, and Upgrade as a switch: theirs.
    if (f.kind == field_kind::transfer_encoding || f.kind == field_kind::proxy_connection || f.kind == field_kind::upgrade) return std::nullopt;
    if (f.kind != field_kind::content_length) continue;
    auto digits = text::parse_unsigned(f.value());
    if (length || !digits || f.value().size() > 15) return std::nullopt;
    length = *digits;
  }
  if (!length) return std::nullopt;

  head.size = static_cast<std::size_t>(p - begin);
  head.content_length = *length;
  target.status = status;
  add_fields(target.headers, fields.data(), count);
  return head;
}

} // namespace onbehalf::http::detail
