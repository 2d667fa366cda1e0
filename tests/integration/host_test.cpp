// Starting a host: failures say what to fix and leave nothing running.
#include "../support/temp_dir.hpp"
#include "running_host.hpp"
#include "test_client.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;

TEST_CASE("starting on a port already in use fails with a message naming the port and the key to change") {
  running_host first;
  auto s = test_settings();
  s.host.port = first.port();
  actors::host second(s);
  auto started = second.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().find("127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
  CHECK(started.error().find("Onbehalf:Port") != std::string::npos);
  auto reply = http_get(first.port(), "/healthz");
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("an unreadable TLS certificate fails the start with a message naming the file") {
  temp_dir dir;
  auto s = test_settings();
  s.host.tls.certificate_path = dir.write("cert.pem", "not a certificate");
  s.host.tls.key_path = dir.write("key.pem", "not a key");
  actors::host h(s);
  auto started = h.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().find("cannot load the TLS certificate '" + s.host.tls.certificate_path + "'") == 0);
}

TEST_CASE("a host stopped before it started stops cleanly") {
  actors::host h(test_settings());
  h.stop();
  h.wait();
  SUCCEED();
}
