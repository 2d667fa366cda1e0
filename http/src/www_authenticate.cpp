#include "onbehalf/http/www_authenticate.hpp"

#include "onbehalf/core/text.hpp"
#include "wire.hpp"

#include <algorithm>
#include <array>

namespace onbehalf::http {

namespace {

using detail::is_tchar;

bool is_token68_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || std::string_view("-._~+/").find(c) != std::string_view::npos;
}

// A cursor over one header value.
struct scanner {
  std::string_view s;
  std::size_t at = 0;

  bool done() const { return at >= s.size(); }
  char peek() const { return done() ? '\0' : s[at]; }
  void skip_space() {
    while (!done() && (s[at] == ' ' || s[at] == '\t')) ++at;
  }
  // Commas with optional space between list elements (RFC 7230's #rule allows empty elements).
  void skip_separators() {
    while (!done() && (s[at] == ' ' || s[at] == '\t' || s[at] == ',')) ++at;
  }
  std::string_view token() {
    auto start = at;
    while (!done() && is_tchar(s[at])) ++at;
    return s.substr(start, at - start);
  }
  std::optional<std::string> quoted() {
    if (peek() != '"') return std::nullopt;
    ++at;
    std::string out;
    while (!done()) {
      char c = s[at++];
      if (c == '"') return out;
      if (c == '\\') {
        if (done()) return std::nullopt;
        c = s[at++];
      }
      out += c;
    }
    return std::nullopt; // unterminated
  }
};

// After a scheme: token68, or auth-params up to the next challenge. The next challenge starts
// with a token that is not followed by '=': `Bearer realm="a", Basic realm="b"`.
bool read_challenge_body(scanner& in, auth_challenge& c) {
  in.skip_space();
  // token68: token68 chars, then optional '=' padding, then end or comma.
  auto saved = in.at;
  while (!in.done() && is_token68_char(in.peek())) ++in.at;
  auto body_end = in.at;
  while (!in.done() && in.peek() == '=') ++in.at;
  auto after = in.at;
  in.skip_space();
  if (body_end > saved && (in.done() || in.peek() == ',')) {
    auto candidate = in.s.substr(saved, after - saved);
    // "a=b" would also match this shape only when followed by nothing: a param with an empty token value is not valid, so this is token68.
    c.token68 = std::string(candidate);
    return true;
  }
  in.at = saved;
  for (;;) {
    auto param_start = in.at;
    auto name = in.token();
    if (name.empty()) return true;
    in.skip_space();
    if (in.peek() != '=') {
      in.at = param_start; // the next challenge's scheme
      return true;
    }
    ++in.at;
    in.skip_space();
    std::string value;
    if (in.peek() == '"') {
      auto q = in.quoted();
      if (!q) return false;
      value = std::move(*q);
    } else {
      value = std::string(in.token());
    }
    c.params.emplace_back(text::to_lower(name), std::move(value));
    in.skip_space();
    if (in.done()) return true;
    if (in.peek() != ',') return false;
    in.skip_separators();
  }
}

} // namespace

std::optional<std::string_view> auth_challenge::param(std::string_view name) const {
  for (const auto& [n, v] : params)
    if (text::iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

std::vector<auth_challenge> parse_www_authenticate(std::string_view header_value) {
  std::vector<auth_challenge> out;
  scanner in{header_value};
  for (;;) {
    in.skip_separators();
    if (in.done()) return out;
    auto scheme = in.token();
    if (scheme.empty()) return out;
    auth_challenge c;
    c.scheme = std::string(scheme);
    bool well_formed = read_challenge_body(in, c);
    out.push_back(std::move(c));
    if (!well_formed) return out;
  }
}

std::string quoted_string(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) continue;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::vector<auth_challenge> www_authenticate_challenges(const header_list& headers) {
  std::vector<auth_challenge> out;
  for (const auto& h : headers.all()) {
    if (!text::iequals(h.name, "WWW-Authenticate")) continue;
    auto some = parse_www_authenticate(h.value);
    out.insert(out.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
  }
  return out;
}

std::optional<std::string_view> bearer_token_of(const request& r) {
  std::optional<std::string_view> found;
  for (const auto& f : r.headers.all()) {
    if (!text::iequals(f.name, "Authorization")) continue;
    if (found) return std::string_view(); // two credentials: which one counts is ambiguous
    found = f.value;
  }
  if (!found) return std::nullopt;
  auto value = *found;
  auto space = value.find(' ');
  if (space == std::string_view::npos || !text::iequals(value.substr(0, space), "Bearer")) return std::nullopt;
  auto token = value.substr(space + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  auto end = token.find_last_not_of('=');
  auto body = token.substr(0, end == std::string_view::npos ? 0 : end + 1);
  // A table, not find_first_not_of: that looks each of a kilobyte's characters up in the set
  // with memchr, which was a sixth of a web API's time per request.
  static constexpr auto b64token = [] {
    std::array<bool, 256> allowed{};
    for (unsigned char c : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/")) allowed[c] = true;
    return allowed;
  }();
  if (body.empty() || !std::all_of(body.begin(), body.end(), [](char c) { return b64token[static_cast<unsigned char>(c)]; }))
    return std::string_view();
  return token;
}

} // namespace onbehalf::http
