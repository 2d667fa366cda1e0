#include "onbehalf/http/cookies.hpp"

#include "onbehalf/core/text.hpp"

#include <stdexcept>

namespace onbehalf::http {

namespace {

constexpr std::string_view chunks_prefix = "chunks-";

// RFC 6265: a cookie-octet excludes controls, whitespace, DQUOTE, comma, semicolon and backslash.
bool cookie_safe(std::string_view s) {
  for (unsigned char c : s)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\') return false;
  return true;
}

std::string chunk_name(std::string_view name, std::size_t index) { return std::string(name) + "C" + std::to_string(index); }

} // namespace

std::string set_cookie(std::string_view name, std::string_view value, const cookie_attributes& a) {
  if (name.empty() || !cookie_safe(name) || name.find('=') != std::string_view::npos || !cookie_safe(value))
    throw std::invalid_argument("cookie name or value holds characters a cookie cannot carry: " + std::string(name));
  std::string header = std::string(name) + "=" + std::string(value) + "; Path=" + a.path;
  if (a.max_age) header += "; Max-Age=" + std::to_string(a.max_age->count());
  if (a.secure) header += "; Secure";
  if (a.http_only) header += "; HttpOnly";
  if (!a.same_site.empty()) header += "; SameSite=" + a.same_site;
  return header;
}

std::string expire_cookie(std::string_view name, const cookie_attributes& attributes) {
  auto a = attributes;
  a.max_age = std::chrono::seconds(0);
  return set_cookie(name, "", a) + "; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
}

std::vector<std::string> set_chunked_cookie(std::string_view name, std::string_view value, const cookie_attributes& attributes,
                                            std::size_t previous_chunks, std::size_t chunk_size) {
  std::vector<std::string> headers;
  std::size_t chunks = 0;
  if (value.size() <= chunk_size) {
    headers.push_back(set_cookie(name, value, attributes));
  } else {
    chunks = (value.size() + chunk_size - 1) / chunk_size;
    headers.push_back(set_cookie(name, std::string(chunks_prefix) + std::to_string(chunks), attributes));
    for (std::size_t i = 0; i < chunks; ++i)
      headers.push_back(set_cookie(chunk_name(name, i + 1), value.substr(i * chunk_size, chunk_size), attributes));
  }
  for (std::size_t stale = chunks + 1; stale <= previous_chunks; ++stale) headers.push_back(expire_cookie(chunk_name(name, stale), attributes));
  return headers;
}

std::size_t read_chunk_count(const header_list& request_headers, std::string_view name) {
  auto first = find_cookie(request_headers, name);
  if (!first || !first->starts_with(chunks_prefix)) return 0;
  auto count = text::parse_unsigned(std::string_view(*first).substr(chunks_prefix.size()));
  // A forged count must not make us build a huge value: a real one is a handful of chunks.
  return count && *count <= 64 ? static_cast<std::size_t>(*count) : 0;
}

std::optional<std::string> read_chunked_cookie(const header_list& request_headers, std::string_view name) {
  auto first = find_cookie(request_headers, name);
  if (!first) return std::nullopt;
  if (!first->starts_with(chunks_prefix)) return first;
  auto chunks = read_chunk_count(request_headers, name);
  if (chunks == 0) return std::nullopt;
  std::string value;
  for (std::size_t i = 1; i <= chunks; ++i) {
    auto part = find_cookie(request_headers, chunk_name(name, i));
    if (!part) return std::nullopt;
    value += *part;
  }
  return value;
}

std::vector<std::string> expire_chunked_cookie(const header_list& request_headers, std::string_view name, const cookie_attributes& attributes) {
  std::vector<std::string> headers{expire_cookie(name, attributes)};
  for (std::size_t i = 1; i <= read_chunk_count(request_headers, name); ++i) headers.push_back(expire_cookie(chunk_name(name, i), attributes));
  return headers;
}

} // namespace onbehalf::http
