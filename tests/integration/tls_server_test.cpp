// The HTTP front over TLS, with a certificate made for the test.
#include "../support/self_signed.hpp"
#include "../support/temp_dir.hpp"
#include "running_host.hpp"
#include "test_client.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

struct tls_host {
  temp_dir dir;
  pem_files pem = write_self_signed_certificate(dir.path("."));
  running_host server{[](http::router& r) {
                        r.get("/scheme",
                              [](const http::exchange_ptr& x) { x->respond(http::response::text(200, x->req().secure ? "https" : "http")); });
                      },
                      settings()};

  config::app_settings settings() const {
    auto s = test_settings();
    s.host.tls.certificate_path = pem.certificate_path;
    s.host.tls.key_path = pem.key_path;
    return s;
  }
};

} // namespace

TEST_CASE("with a certificate configured the server speaks TLS") {
  tls_host h;
  auto reply = http_get(h.server.port(), "/healthz", true);
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("handlers can tell a request arrived over TLS") {
  tls_host h;
  auto reply = http_get(h.server.port(), "/scheme", true);
  REQUIRE(reply);
  CHECK(reply->body == "https");
}

TEST_CASE("keep-alive works over TLS") {
  tls_host h;
  raw_connection c(h.server.port(), true);
  REQUIRE(c.connected());
  for (int i = 0; i < 3; ++i) {
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    auto reply = c.read_response();
    REQUIRE(reply);
    CHECK(reply->status == 200);
  }
}

TEST_CASE("plain HTTP sent to the TLS port is dropped and TLS clients are still served") {
  tls_host h;
  raw_connection plain(h.server.port());
  plain.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_FALSE(plain.read_response(2s));
  auto reply = http_get(h.server.port(), "/healthz", true);
  REQUIRE(reply);
  CHECK(reply->status == 200);
}
