// What a client can make the server hold is bounded: connections (Onbehalf:Limits:MaxConnections),
// an incoming WebSocket message (MaxWebSocketMessageBytes), and the messages waiting for a
// WebSocket client that does not read (MaxWebSocketBacklogBytes).
#include "running_host.hpp"
#include "test_client.hpp"

#include "../support/eventually.hpp"
#include "../support/websocket_client.hpp"

#include <atomic>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

config::app_settings with_limits(std::size_t connections, std::size_t message_bytes = 64 * 1024, std::size_t backlog_bytes = 1 << 20) {
  auto s = test_settings();
  s.host.io_threads = 1;
  s.host.limits.max_connections = connections;
  s.host.limits.max_websocket_message_bytes = message_bytes;
  s.host.limits.max_websocket_backlog_bytes = backlog_bytes;
  return s;
}

// A connection the server has taken: its first request was answered, and it stays open.
std::unique_ptr<raw_connection> held_open(std::uint16_t port) {
  auto c = std::make_unique<raw_connection>(port);
  c->send(healthz);
  auto reply = c->read_response(2s);
  REQUIRE(reply);
  REQUIRE(reply->status == 200);
  return c;
}

// A live socket whose handler keeps it, echoes what it gets, and on "flood" sends without end.
struct live_route {
  std::mutex mutex;
  std::vector<http::websocket_ptr> sockets;
  std::atomic<int> closed{0};
  std::atomic<std::size_t> received_bytes{0};

  void add_to(http::router& r) {
    r.get("/socket", [this](const http::exchange_ptr& x) {
      auto kept = std::make_shared<std::weak_ptr<http::websocket>>();
      auto socket = x->accept_websocket(
          [this, kept](std::string text) {
            received_bytes += text.size();
            auto s = kept->lock();
            if (!s) return;
            if (text != "flood") return s->send(text);
            for (int i = 0; i < 4096 && s->is_open(); ++i) s->send(std::string(16 * 1024, 'm'));
          },
          [this] { ++closed; });
      *kept = socket;
      std::lock_guard lock(mutex);
      sockets.push_back(socket);
    });
  }
};

} // namespace

TEST_CASE("limits: beyond MaxConnections a connection gets 503 and is closed, and a closed one makes room") {
  running_host server({}, with_limits(4));
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 4; ++i) held.push_back(held_open(server.port()));

  for (int i = 0; i < 2000; ++i) {
    raw_connection extra(server.port());
    extra.send(healthz);
    auto reply = extra.read_response(2s);
    REQUIRE(reply);
    REQUIRE(reply->status == 503);
    CHECK(reply->header("Retry-After") == "5");
    CHECK(reply->body.find("try again shortly") != std::string::npos);
    REQUIRE(extra.closed_by_server(2s));
  }
  // The four taken are still served.
  for (auto& c : held) {
    c->send(healthz);
    auto reply = c->read_response(2s);
    REQUIRE(reply);
    CHECK(reply->status == 200);
  }
  held.pop_back();
  CHECK(eventually([&] {
    auto reply = http_get(server.port(), "/healthz");
    return reply && reply->status == 200;
  }));
}

TEST_CASE("limits: a WebSocket message larger than MaxWebSocketMessageBytes closes the socket as too big, and smaller ones pass") {
  live_route live;
  running_host server([&](http::router& r) { live.add_to(r); }, with_limits(100, 1024));
  websocket_client ws(server.port(), "/socket", "");
  REQUIRE(ws.status() == 101);
  ws.send(std::string(1024, 'a'));
  CHECK(ws.receive() == std::string(1024, 'a'));
  ws.send(std::string(1025, 'b'));
  CHECK_FALSE(ws.receive());
  CHECK(ws.close_code() == 1009);
  CHECK(eventually([&] { return live.closed == 1; }));
  CHECK(live.received_bytes == 1024);
}

TEST_CASE("limits: a WebSocket client that stops reading is disconnected once MaxWebSocketBacklogBytes wait for it") {
  live_route live;
  running_host server([&](http::router& r) { live.add_to(r); }, with_limits(100, 1024, 256 * 1024));
  websocket_client ws(server.port(), "/socket", "");
  REQUIRE(ws.status() == 101);
  ws.shrink_receive_buffer();
  ws.send("flood"); // 64 MiB, far beyond what the kernel's buffers take
  CHECK(eventually([&] { return live.closed == 1; }));
  std::lock_guard lock(live.mutex);
  REQUIRE(live.sockets.size() == 1);
  CHECK_FALSE(live.sockets.front()->is_open());
  CHECK(http_get(server.port(), "/healthz"));
}
