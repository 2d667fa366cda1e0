// Starting a host: failures say what to fix and leave nothing running; with Redis, what it is doing.
#include "../support/redis_server.hpp"
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

namespace {

config::app_settings with_redis(std::uint16_t port, std::string password = {}) {
  auto s = test_settings();
  s.host.cache.backend = config::cache_options::backend_type::redis;
  s.host.cache.encryption_keys = {{"k1", secret("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")}};
  s.host.redis.port = port;
  s.host.redis.password = secret(std::move(password));
  s.host.redis.connect_timeout = std::chrono::milliseconds(300);
  return s;
}

// Polls /healthz until its body holds `text`, for a few seconds.
bool health_says(std::uint16_t port, const std::string& text) {
  for (int i = 0; i < 100; ++i) {
    auto reply = http_get(port, "/healthz");
    if (reply && reply->status == 200 && reply->body.find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

} // namespace

TEST_CASE("with Redis, /healthz and /metrics say whether it answers, and the host keeps serving while it does not") {
  redis_server redis;
  running_host h({}, with_redis(redis.port()));
  CHECK(health_says(h.port(), "\"redis\":\"connected\""));
  auto metrics = http_get(h.port(), "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("onbehalf_redis_connected 1") != std::string::npos);
  redis.stop();
  // Noticed by the events subscription within its PING interval, without any request.
  CHECK(health_says(h.port(), "\"redis\":\"unreachable"));
  metrics = http_get(h.port(), "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("onbehalf_redis_connected 0") != std::string::npos);
  redis.start();
  CHECK(health_says(h.port(), "\"redis\":\"connected\""));
}

TEST_CASE("a Redis that refuses the password fails the start, naming Onbehalf:Redis:Password — one that is down does not") {
  redis_server redis({.password = "the-right-one"});
  actors::host refused(with_redis(redis.port(), "a-wrong-one"));
  auto started = refused.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().starts_with("Onbehalf:Redis:Password"));
  CHECK(started.error().find("WRONGPASS") != std::string::npos);
  CHECK(started.error().find("a-wrong-one") == std::string::npos);

  closed_port nobody;
  running_host down({}, with_redis(nobody.number()));
  CHECK(health_says(down.port(), "\"redis\":\"unreachable"));
}

TEST_CASE("/metrics on the app's listener answers this machine's scripts, not web pages or what a proxy forwards") {
  running_host h;
  auto local = round_trip(h.port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  REQUIRE(local);
  CHECK(local->status == 200);
  CHECK(local->body.find("onbehalf_live_pages 0") != std::string::npos);
  for (std::string extra : {"X-Forwarded-For: 203.0.113.9\r\n", "Forwarded: for=203.0.113.9\r\n", "Origin: http://evil.example\r\n"}) {
    INFO(extra);
    auto refused = round_trip(h.port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "Connection: close\r\n\r\n");
    REQUIRE(refused);
    CHECK(refused->status == 403);
    CHECK(refused->body.find("Onbehalf:Metrics:Port") != std::string::npos);
  }
  auto by_public_name = round_trip(h.port(), "GET /metrics HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n");
  REQUIRE(by_public_name);
  CHECK(by_public_name->status == 403);
}

TEST_CASE("with Onbehalf:Metrics:Port, /metrics is served on that listener alone, to any caller that reaches it") {
  auto s = test_settings();
  s.host.metrics.own_listener = true;
  running_host h({}, s);
  auto port = h.host().metrics_port();
  REQUIRE(port != 0);
  CHECK(port != h.port());
  auto scraped = round_trip(port, "GET /metrics HTTP/1.1\r\nHost: prometheus.internal\r\nX-Forwarded-For: 10.0.0.7\r\nConnection: close\r\n\r\n");
  REQUIRE(scraped);
  CHECK(scraped->status == 200);
  CHECK(scraped->body.find("onbehalf_http_requests_total") != std::string::npos);
  auto health = http_get(port, "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto on_app = http_get(h.port(), "/metrics");
  REQUIRE(on_app);
  CHECK(on_app->status == 404);
}

TEST_CASE("a metrics listener that cannot start fails the start, naming the key, and leaves nothing running") {
  running_host first;
  auto s = test_settings();
  s.host.metrics.own_listener = true;
  s.host.metrics.port = first.port();
  actors::host second(s);
  auto started = second.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().find("Onbehalf:Metrics:Port") != std::string::npos);
}
