// Where a request really came from when a reverse proxy terminates TLS in front of the app:
// X-Forwarded-Proto, -Host and -For, believed only when the connection comes from a proxy the
// configuration names. Anyone else could claim to be https or another host.
#pragma once

#include "onbehalf/http/message.hpp"

#include <string>
#include <vector>

namespace onbehalf::http {

struct request_origin {
  std::string scheme;         // "http" or "https"
  std::string host;           // host[:port] as the browser addressed it
  std::string remote_address; // the client, not the proxy
  bool via_trusted_proxy = false;

  /// "https://app.example.com", for building absolute URLs such as the redirect URI.
  std::string base() const { return scheme + "://" + host; }
};

/// The request's origin: from the connection and Host header, or from the X-Forwarded-* headers
/// when the peer's address is in `trusted_proxies`. With several proxies in a chain the last
/// (nearest) X-Forwarded-For entry is the client as the trusted proxy saw it.
request_origin origin_of(const request& r, const std::vector<std::string>& trusted_proxies);

} // namespace onbehalf::http
