// Which requests go through the egress proxy, and how it is asked for a tunnel.
#include "proxy.hpp"

#include "onbehalf/core/base64.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::http;
using namespace onbehalf::http::detail;

namespace {

proxy_route route(std::string address, std::vector<std::string> bypass = {}) {
  auto r = proxy_route::from(address, std::move(bypass));
  REQUIRE(r);
  REQUIRE(*r);
  return **r;
}

} // namespace

TEST_CASE("no proxy address means no proxy") {
  auto r = proxy_route::from("  ", {});
  REQUIRE(r);
  CHECK_FALSE(*r);
}

TEST_CASE("a proxy address may leave out http:// and carry percent-encoded credentials, sent as Basic") {
  auto r = route("egress.internal:3128");
  CHECK(r.address.host == "egress.internal");
  CHECK(r.address.port == 3128);
  CHECK(r.authorization.empty());
  auto with = route("http://user:p%40ss@egress.internal:3128");
  CHECK(with.address.host == "egress.internal");
  CHECK(with.authorization == "Basic " + base64::encode("user:p@ss"));
}

TEST_CASE("Bypass reads as NO_PROXY does: names, domains with or without a dot, ports ignored, * for all") {
  auto r = route("http://p:1", {"localhost", ".example.com", "corp.internal:8443", " Mixed.Case "});
  CHECK(r.bypasses("localhost"));
  CHECK(r.bypasses("api.example.com"));
  CHECK(r.bypasses("example.com"));
  CHECK(r.bypasses("a.b.corp.internal"));
  CHECK(r.bypasses("mixed.case"));
  CHECK_FALSE(r.bypasses("notexample.com"));
  CHECK_FALSE(r.bypasses("graph.microsoft.com"));
  CHECK(route("http://p:1", {"*"}).bypasses("anything.at.all"));
}

TEST_CASE("a tunnel is asked for with CONNECT host:port, naming IPv6 hosts in brackets, with the proxy's credentials") {
  auto r = route("http://u:pw@p:1");
  auto api = url::parse("https://graph.microsoft.com/v1.0/me");
  REQUIRE(api);
  CHECK(r.connect_request(*api) == "CONNECT graph.microsoft.com:443 HTTP/1.1\r\nHost: graph.microsoft.com:443\r\nProxy-Authorization: Basic " +
                                       base64::encode("u:pw") + "\r\n\r\n");
  auto v6 = url::parse("https://[::1]:8443/");
  REQUIRE(v6);
  CHECK(route("http://p:1").connect_request(*v6).starts_with("CONNECT [::1]:8443 HTTP/1.1\r\n"));
}

TEST_CASE("the proxy's answer to CONNECT is read for its status, and anything else is not HTTP") {
  CHECK(tunnel_status("HTTP/1.1 200 Connection established\r\n\r\n") == 200u);
  CHECK(tunnel_status("HTTP/1.0 407 Proxy Authentication Required\r\n\r\n") == 407u);
  CHECK_FALSE(tunnel_status("SSH-2.0-OpenSSH\r\n\r\n"));
  CHECK_FALSE(tunnel_status("HTTP/1.1 2x0 what\r\n\r\n"));
}

TEST_CASE("a proxy address that is not http:// is refused in words") {
  auto r = proxy_route::from("https://egress.internal:3128", {});
  REQUIRE_FALSE(r);
  CHECK(r.error().find("http://host:port") != std::string::npos);
}
