#include "onbehalf/http/cross_origin.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>

namespace onbehalf::http {

namespace {

bool is_websocket_handshake(const request& r) {
  auto upgrade = r.headers.find("Upgrade");
  return r.method == "GET" && upgrade && text::iequals(*upgrade, "websocket");
}

bool origin_is(std::string_view origin, std::string_view own_origin, const std::vector<std::string>& trusted_origins) {
  if (text::iequals(origin, own_origin)) return true;
  return std::any_of(trusted_origins.begin(), trusted_origins.end(), [origin](const std::string& t) { return text::iequals(origin, t); });
}

bool is_loopback_address(std::string_view a) { return a.starts_with("127.") || a == "::1" || a == "::ffff:127.0.0.1"; }

bool names_loopback(std::string_view host_header) {
  auto host = host_header.starts_with('[') ? host_header.substr(0, host_header.find(']') + 1) : host_header.substr(0, host_header.rfind(':'));
  return text::iequals(host, "localhost") || host == "[::1]" ||
         (host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string_view::npos);
}

// A reverse proxy on this machine connects from loopback, often with a loopback Host; what it
// forwards comes from anywhere, and it says so in one of these.
bool forwarded_by_proxy(const request& r) {
  for (std::string_view name : {"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", "Via"})
    if (r.headers.find(name)) return true;
  return false;
}

} // namespace

bool is_local_tool_request(const request& r) {
  auto host = r.headers.find("Host");
  if (!is_loopback_address(r.remote_address) || !host || !names_loopback(*host) || forwarded_by_proxy(r)) return false;
  return !is_cross_origin(r, "http://" + std::string(*host), {}) || !is_cross_origin(r, "https://" + std::string(*host), {});
}

bool acts_for_user(const request& r) {
  if (r.method == "GET" || r.method == "HEAD" || r.method == "OPTIONS") return is_websocket_handshake(r);
  return true;
}

bool is_cross_origin(const request& r, std::string_view own_origin, const std::vector<std::string>& trusted_origins) {
  auto origin = r.headers.find("Origin");
  if (auto site = r.headers.find("Sec-Fetch-Site")) {
    // "none": the user typed the address or used a bookmark.
    if (text::iequals(*site, "same-origin") || text::iequals(*site, "none")) return false;
    return !origin || !origin_is(*origin, own_origin, trusted_origins);
  }
  // Browsers from before Fetch Metadata still send Origin; "null" is an opaque origin (a sandboxed
  // frame, a redirect across sites), never this site.
  if (!origin) return false;
  return !origin_is(*origin, own_origin, trusted_origins);
}

} // namespace onbehalf::http
