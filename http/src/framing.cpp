#include "framing.hpp"

#include "simple_head.hpp"

#include "onbehalf/core/text.hpp"

#include <array>

namespace onbehalf::http::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 3986's reg-name: unreserved, pct-encoded and sub-delims; '@' (user information) is not.
// A table: every request's Host is checked.
constexpr auto reg_name_characters = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : std::string_view("-._~%!$&'()*+,;=")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();
bool is_reg_name_char(char c) { return reg_name_characters[static_cast<unsigned char>(c)]; }

bool all_of(std::string_view s, bool (*allowed)(char)) {
  for (char c : s)
    if (!allowed(c)) return false;
  return true;
}

// The codings of every Transfer-Encoding field, in order: chunked must be the last, and only.
std::optional<framing_refusal> refuse_codings(const header_list& headers) {
  std::string_view last, unsupported;
  int chunked = 0;
  for (const auto& f : headers.all()) {
    if (kind_of(f.name) != field_kind::transfer_encoding) continue;
    std::string_view rest = f.value;
    while (!rest.empty()) {
      auto coding = text::trim(text::next_part(rest, ','));
      if (coding.empty()) continue;
      if (text::iequals(coding, "chunked")) {
        ++chunked;
      } else if (unsupported.empty()) {
        unsupported = coding;
      }
      last = coding;
    }
  }
  if (!text::iequals(last, "chunked") || chunked != 1)
    return framing_refusal{400, "The request's Transfer-Encoding must end with chunked, once; its body's length cannot be read otherwise."};
  if (!unsupported.empty())
    return framing_refusal{501, "This server does not implement the transfer coding '" + std::string(unsupported.substr(0, 40)) + "'."};
  return std::nullopt;
}

} // namespace

bool valid_host(std::string_view value) {
  std::string_view port;
  if (!value.empty() && value.front() == '[') {
    auto close = value.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    if (!all_of(value.substr(1, close - 1), [](char c) { return is_hex(c) || c == ':' || c == '.' || c == 'v' || c == 'V'; })) return false;
    auto after = value.substr(close + 1);
    if (!after.empty() && after.front() != ':') return false;
    port = after.empty() ? after : after.substr(1);
  } else {
    auto colon = value.find(':');
    if (!all_of(value.substr(0, colon), is_reg_name_char)) return false;
    if (colon != std::string_view::npos) port = value.substr(colon + 1);
  }
  return port.size() <= 5 && all_of(port, is_digit);
}

std::optional<framing_refusal> refuse_framing(const header_list& headers, int version) {
  int hosts = 0, lengths = 0, encodings = 0;
  for (const auto& f : headers.all()) {
    switch (kind_of(f.name)) {
    case field_kind::host:
      if (++hosts > 1) return framing_refusal{400, "The request names its Host twice."};
      if (!valid_host(f.value)) return framing_refusal{400, "The request's Host is not a host name or address with an optional port."};
      break;
    case field_kind::content_length:
      // One length, in digits: a list, even of equal values, is two readings of one length.
      if (++lengths > 1 || f.value.empty() || f.value.size() > 19 || !all_of(f.value, is_digit))
        return framing_refusal{400, "The request's Content-Length must be one number."};
      break;
    case field_kind::transfer_encoding: ++encodings; break;
    default: break;
    }
  }
  if (version == 11 && hosts == 0) return framing_refusal{400, "An HTTP/1.1 request must name its Host."};
  if (encodings == 0) return std::nullopt;
  if (version == 10) return framing_refusal{400, "Transfer-Encoding is not part of HTTP/1.0; the request's length cannot be read."};
  if (lengths > 0) return framing_refusal{400, "The request has both Transfer-Encoding and Content-Length; its length cannot be read one way."};
  return refuse_codings(headers);
}

} // namespace onbehalf::http::detail
