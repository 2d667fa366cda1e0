// Credentials that arrive with requests never reach the log, whatever path the log line takes.
#include "running_host.hpp"
#include "test_client.hpp"

#include "../support/captured_log.hpp"

#include <mutex>

using namespace onbehalf;
using namespace onbehalf::testing;

namespace {

const std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJldmUifQ.U2lnbmF0dXJlT2ZUaGVUb2tlbkluQVBhdGg";
const std::string session_cookie = "CfDJ8Ab3Cd5Ef7Gh9Ij1Kl3Mn5Op7Qr9St1Uv3Wx5Yz7Ab9Cd1Ef3";

} // namespace

TEST_CASE("tokens in paths, headers and handler errors never reach the debug access log") {
  auto settings = test_settings();
  settings.host.log_level = "debug";
  captured_log log;
  {
    running_host server(
        [](http::router& r) {
          r.get("/echo/{value}", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "ok")); });
          r.get("/fail/{value}", [](const http::exchange_ptr& x) { throw std::runtime_error("could not use " + std::string(x->param("value"))); });
        },
        settings);
    raw_connection c(server.port());
    for (const auto& path : {"/echo/" + jwt, "/fail/" + jwt, "/echo/x?code=" + session_cookie, "/nowhere/" + jwt}) {
      c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + jwt + "\r\nCookie: s=" + session_cookie + "\r\n\r\n");
      REQUIRE(c.read_response());
    }
  }
  logger::global().set_level(log_level::info);
  auto text = log.all();
  CHECK(text.find("HTTP request") != std::string::npos); // the access log did run
  CHECK(text.find("threw an exception") != std::string::npos);
  CHECK(text.find(jwt) == std::string::npos);
  CHECK(text.find(session_cookie) == std::string::npos);
}

TEST_CASE("a header left out because it would split the response is logged by name, never by value") {
  captured_log log;
  {
    running_host server([](http::router& r) {
      r.get("/split", [](const http::exchange_ptr& x) {
        auto reply = http::response::text(200, "ok");
        reply.headers.set("Set-Cookie", "s=" + session_cookie + "\r\nX-Injected: 1");
        reply.headers.add("Bad Name " + jwt, "v");
        x->respond(std::move(reply));
      });
    });
    auto reply = http_get(server.port(), "/split");
    REQUIRE(reply);
    CHECK_FALSE(reply->header("X-Injected"));
  }
  auto text = log.all();
  CHECK(text.find("Left out a header field") != std::string::npos);
  CHECK(text.find("Set-Cookie") != std::string::npos);
  CHECK(text.find(session_cookie) == std::string::npos);
  CHECK(text.find(jwt) == std::string::npos);
}
