#include "onbehalf/core/redact.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>

namespace onbehalf::redaction {

namespace {

constexpr std::string_view mask = "[redacted]";

bool is_token_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' ||
         c == '/' || c == '=' || c == '%';
}

bool is_base64url_char(char c) noexcept { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; }

// Parameter and header names whose values are credentials wherever they appear.
constexpr std::array<std::string_view, 16> sensitive_parameters = {
    "client_secret", "clientsecret", "refresh_token", "access_token", "id_token",   "client_assertion", "code_verifier", "password",
    "assertion",     "code",         "authorization", "cookie",       "set-cookie", "secret",           "token",         "apikey"};

// Longest first, so that a secret containing another is masked whole; kept in that order as
// each is added, so that registering is not a search and a sort of all values so far.
struct longest_first {
  bool operator()(const std::string& a, const std::string& b) const { return a.size() != b.size() ? a.size() > b.size() : a < b; }
};

struct known_secrets {
  std::shared_mutex mutex;
  std::set<std::string, longest_first> values;
};

known_secrets& registry() {
  static known_secrets r;
  return r;
}

// A run of token characters at least this long, mixing upper case, lower case and digits,
// is treated as key material: session cookies, client secrets, API keys.
constexpr std::size_t high_entropy_length = 32;

bool looks_random(std::string_view run) {
  if (run.size() < high_entropy_length) return false;
  bool upper = false, lower = false, digit = false;
  for (char c : run) {
    upper |= c >= 'A' && c <= 'Z';
    lower |= c >= 'a' && c <= 'z';
    digit |= c >= '0' && c <= '9';
  }
  return upper && lower && digit;
}

// Length of a JWT (JWS with 3 parts or JWE with 5) starting at `s`, or 0.
std::size_t jwt_length(std::string_view s) {
  if (!s.starts_with("eyJ")) return 0;
  std::size_t i = 0, dots = 0;
  while (i < s.size() && (is_base64url_char(s[i]) || s[i] == '.')) {
    if (s[i] == '.') ++dots;
    ++i;
  }
  return dots >= 2 ? i : 0;
}

bool name_ends_here(std::string_view text, std::size_t name_end, std::string_view name) {
  if (name_end < name.size()) return false;
  auto start = name_end - name.size();
  if (!text::iequals(text.substr(start, name.size()), name)) return false;
  // The name must not be the tail of a longer word ("barcode=" is not "code=").
  return start == 0 || !(std::isalnum(static_cast<unsigned char>(text[start - 1])) || text[start - 1] == '_');
}

// If text[pos] starts a value assigned to a sensitive name ("name=", "name: ", "\"name\":\""),
// returns where the value starts.
std::optional<std::size_t> sensitive_value_start(std::string_view text, std::size_t pos) {
  char c = text[pos];
  if (c != '=' && c != ':') return std::nullopt;
  std::size_t name_end = pos;
  bool quoted_name = name_end > 0 && text[name_end - 1] == '"';
  if (quoted_name) --name_end;
  bool found = std::any_of(sensitive_parameters.begin(), sensitive_parameters.end(),
                           [&](std::string_view name) { return name_ends_here(text, name_end, name); });
  if (!found) return std::nullopt;
  std::size_t v = pos + 1;
  while (v < text.size() && text[v] == ' ') ++v;
  return v;
}

void mask_known_secrets(std::string& out) {
  auto& r = registry();
  std::shared_lock lock(r.mutex);
  for (const auto& value : r.values) {
    for (auto pos = out.find(value); pos != std::string::npos; pos = out.find(value, pos + mask.size())) out.replace(pos, value.size(), mask);
  }
}

} // namespace

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (auto n = jwt_length(text.substr(i)); n > 0 && (i == 0 || !is_base64url_char(text[i - 1]))) {
      out += mask;
      i += n;
      continue;
    }
    for (std::string_view scheme : {"bearer ", "basic "}) {
      if (i + scheme.size() < text.size() && text::iequals(text.substr(i, scheme.size()), scheme) &&
          (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1])))) {
        out.append(text.substr(i, scheme.size()));
        i += scheme.size();
        std::size_t end = i;
        while (end < text.size() && is_token_char(text[end])) ++end;
        if (end > i) out += mask;
        i = end;
        break;
      }
    }
    if (i >= text.size()) break;
    if (auto v = sensitive_value_start(text, i)) {
      std::size_t start = *v;
      bool quoted = start < text.size() && text[start] == '"';
      if (quoted) ++start;
      out.append(text.substr(i, start - i));
      std::size_t end = start;
      auto line_start = text.substr(0, i).find_last_of("\r\n");
      auto from = line_start == std::string_view::npos ? 0 : line_start + 1;
      auto line = text.substr(from, i - from);
      // A quoted value runs to its closing quote; a header on its own line (Cookie, Authorization)
      // to the end of the line; a parameter to the next separator.
      bool header_like = !quoted && text[i] == ':' && line.find('"') == std::string_view::npos;
      auto ends_value = [&](char c) {
        if (c == '\n' || c == '\r') return true;
        if (quoted) return c == '"';
        if (header_like) return false;
        return c == '"' || c == '&' || c == ' ' || c == ',' || c == ';';
      };
      while (end < text.size() && !ends_value(text[end])) {
        if (quoted && text[end] == '\\' && end + 1 < text.size()) ++end;
        ++end;
      }
      // "authorization=Bearer abc": the scheme alone is not the credential; take the next word too.
      auto value = text.substr(start, end - start);
      if ((text::iequals(value, "bearer") || text::iequals(value, "basic")) && end < text.size() && text[end] == ' ') {
        ++end;
        while (end < text.size() && is_token_char(text[end])) ++end;
      }
      if (end > start) out += mask;
      i = end;
      continue;
    }
    if (is_token_char(text[i]) && (i == 0 || !is_token_char(text[i - 1]))) {
      std::size_t end = i;
      // A run stops before "=" that assigns a credential, so that value is masked on its own.
      while (end < text.size() && is_token_char(text[end]) && !(text[end] == '=' && sensitive_value_start(text, end))) ++end;
      auto run = text.substr(i, end - i);
      if (looks_random(run)) {
        out += mask;
      } else {
        out += run;
      }
      i = end;
      continue;
    }
    out += text[i++];
  }
  mask_known_secrets(out);
  return out;
}

void register_secret(std::string_view value) {
  if (value.size() < 4) return;
  auto& r = registry();
  std::unique_lock lock(r.mutex);
  r.values.emplace(value);
}

bool is_sensitive_name(std::string_view name) {
  // "client_secret", "Client-Secret" and "ClientSecret" are one name.
  std::string lowered;
  for (char c : text::to_lower(name))
    if (c != '_' && c != '-') lowered += c;
  for (std::string_view word : {"secret", "password", "token", "cookie", "authorization", "assertion", "apikey", "connectionstring", "verifier"})
    if (lowered.find(word) != std::string::npos) return true;
  return lowered == "key" || lowered.ends_with(":key") || lowered.ends_with("privatekey") || lowered == "code";
}

} // namespace onbehalf::redaction
