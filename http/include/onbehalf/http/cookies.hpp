// Writing cookies with safe defaults, and values too large for one cookie split across several
// (as ASP.NET Core's chunking cookie manager does: NAME=chunks-N, then NAMEC1 ... NAMECN).
#pragma once

#include "onbehalf/http/message.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::http {

struct cookie_attributes {
  std::string path = "/";
  bool http_only = true;
  bool secure = false; // set when served over TLS, or behind a trusted proxy that says so
  std::string same_site = "Lax";
  std::optional<std::chrono::seconds> max_age; // none: a browser-session cookie
};

/// One Set-Cookie header value. The value must be cookie-safe (e.g. base64url); names and values
/// with separators are a programming error (std::invalid_argument).
std::string set_cookie(std::string_view name, std::string_view value, const cookie_attributes& attributes);

/// A Set-Cookie header value that removes the cookie.
std::string expire_cookie(std::string_view name, const cookie_attributes& attributes);

/// Browsers keep about 4 KB per cookie, name and attributes included.
inline constexpr std::size_t max_cookie_chunk = 3800;

/// Set-Cookie header values for `value`, split into chunks when it is larger than one cookie holds.
/// `previous_chunks` (from read_chunk_count) lets a shrinking value remove chunks it no longer needs.
std::vector<std::string> set_chunked_cookie(std::string_view name, std::string_view value, const cookie_attributes& attributes,
                                            std::size_t previous_chunks = 0, std::size_t chunk_size = max_cookie_chunk);

/// The value of a cookie written by set_chunked_cookie, reassembled; nullopt when absent or when a chunk is missing.
std::optional<std::string> read_chunked_cookie(const header_list& request_headers, std::string_view name);

/// How many chunks the request carries for `name` (0 for a plain or absent cookie).
std::size_t read_chunk_count(const header_list& request_headers, std::string_view name);

/// Set-Cookie header values that remove a chunked cookie and all its chunks.
std::vector<std::string> expire_chunked_cookie(const header_list& request_headers, std::string_view name, const cookie_attributes& attributes);

} // namespace onbehalf::http
