#include "proxy.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/text.hpp"

namespace onbehalf::http::detail {

namespace {

std::string authority_of(const url& u) {
  auto host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host; // IPv6 literals
  return host + ":" + std::to_string(u.port);
}

} // namespace

result<std::optional<proxy_route>, std::string> proxy_route::from(std::string_view address, std::vector<std::string> bypass) {
  address = text::trim(address);
  if (address.empty()) return std::optional<proxy_route>();
  // Proxy settings are often written without a scheme (HTTPS_PROXY=proxy:3128).
  std::string text = address.find("://") == std::string_view::npos ? "http://" + std::string(address) : std::string(address);
  proxy_route route;
  auto start = text.find("://") + 3;
  auto end = text.find_first_of("/?#", start);
  auto at = text.rfind('@', end);
  if (at != std::string::npos && at >= start) {
    auto userinfo = text.substr(start, at - start);
    auto colon = userinfo.find(':');
    auto user = text::percent_decode(userinfo.substr(0, colon), false).value_or("");
    auto password = colon == std::string::npos ? std::string() : text::percent_decode(userinfo.substr(colon + 1), false).value_or("");
    route.authorization = "Basic " + base64::encode(user + ":" + password);
    text.erase(start, at - start + 1);
  }
  auto parsed = url::parse(text);
  if (!parsed || parsed->scheme != "http")
    return failure{"the proxy address must be http://host:port (optionally http://user:password@host:port), not '" +
                   (address.find('@') == std::string_view::npos ? std::string(address) : std::string("(an address with credentials)")) + "'"};
  route.address = std::move(*parsed);
  for (auto& b : bypass) {
    auto entry = std::string(text::trim(b));
    if (auto colon = entry.rfind(':'); colon != std::string::npos && entry.find(']') == std::string::npos && entry.find(':') == colon)
      entry.erase(colon); // "host:port": the host is what counts here
    if (!entry.empty()) route.bypass.push_back(text::to_lower(entry));
  }
  return std::optional<proxy_route>(std::move(route));
}

bool proxy_route::bypasses(std::string_view host) const {
  auto name = text::to_lower(host);
  for (const auto& entry : bypass) {
    if (entry == "*") return true;
    std::string_view domain = entry;
    if (domain.starts_with('.')) domain.remove_prefix(1);
    if (name == domain) return true;
    if (name.size() > domain.size() && std::string_view(name).ends_with(domain) && name[name.size() - domain.size() - 1] == '.') return true;
  }
  return false;
}

std::string proxy_route::connect_request(const url& target) const {
  auto where = authority_of(target);
  std::string r = "CONNECT " + where + " HTTP/1.1\r\nHost: " + where + "\r\n";
  if (!authorization.empty()) r += "Proxy-Authorization: " + authorization + "\r\n";
  return r + "\r\n";
}

std::optional<unsigned> tunnel_status(std::string_view head) {
  if (!head.starts_with("HTTP/1.") || head.size() < 12 || head[8] != ' ') return std::nullopt;
  auto code = text::parse_unsigned(head.substr(9, 3));
  if (!code || *code < 100 || *code > 599) return std::nullopt;
  return static_cast<unsigned>(*code);
}

} // namespace onbehalf::http::detail
