// Egress through an HTTP proxy (HTTPS_PROXY, Onbehalf:Proxy): which hosts go through it, the
// CONNECT request that opens a tunnel for https, and the proxy's answer. Private to http/.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/http/client.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::http::detail {

struct proxy_route {
  url address;               // http://host:port
  std::string authorization; // "Basic …" from user:password in the address; empty without
  std::vector<std::string> bypass;

  /// Nullopt for an empty address; an error in plain words for one that is not http://host:port
  /// (with optional user:password@).
  static result<std::optional<proxy_route>, std::string> from(std::string_view address, std::vector<std::string> bypass);

  /// True for a host reached directly: "*", the name itself, or a domain it is in ("example.com"
  /// and ".example.com" both cover api.example.com), compared without case, as NO_PROXY is read.
  bool bypasses(std::string_view host) const;

  /// CONNECT host:port, with Host and Proxy-Authorization.
  std::string connect_request(const url& target) const;
};

/// The status code of the proxy's answer to CONNECT (its head), nullopt when it is not an HTTP
/// response head.
std::optional<unsigned> tunnel_status(std::string_view head);

} // namespace onbehalf::http::detail
