#include "onbehalf/http/forwarded.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>

namespace onbehalf::http {

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The last entry of a comma-separated header: the one the nearest proxy added.
std::string_view last_entry(std::string_view value) {
  auto comma = value.rfind(',');
  return trimmed(comma == std::string_view::npos ? value : value.substr(comma + 1));
}

// A host as a browser can address it: letters, digits, dots, dashes, a port, IPv6 brackets.
bool plausible_host(std::string_view h) {
  return !h.empty() && h.size() <= 255 &&
         h.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == std::string_view::npos;
}

} // namespace

request_origin origin_of(const request& r, const std::vector<std::string>& trusted_proxies) {
  request_origin o;
  o.scheme = r.secure ? "https" : "http";
  o.host = std::string(r.headers.find("Host").value_or(""));
  if (!plausible_host(o.host)) o.host = "localhost";
  o.remote_address = r.remote_address;
  if (std::find(trusted_proxies.begin(), trusted_proxies.end(), r.remote_address) == trusted_proxies.end()) return o;
  o.via_trusted_proxy = true;
  if (auto proto = r.headers.find("X-Forwarded-Proto")) {
    auto p = text::to_lower(last_entry(*proto));
    if (p == "http" || p == "https") o.scheme = p;
  }
  if (auto host = r.headers.find("X-Forwarded-Host")) {
    auto h = last_entry(*host);
    if (plausible_host(h)) o.host = std::string(h);
  }
  if (auto client = r.headers.find("X-Forwarded-For")) {
    auto c = last_entry(*client);
    if (!c.empty()) o.remote_address = std::string(c);
  }
  return o;
}

} // namespace onbehalf::http
