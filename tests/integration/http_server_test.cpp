// The HTTP front as a client sees it: real sockets, the real actor system, bad input on the wire.
#include "running_host.hpp"
#include "test_client.hpp"

#include <atomic>
#include <future>
#include <set>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

const std::string get_healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

void add_echo_routes(http::router& r) {
  r.get("/todos/{id}", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "todo " + std::string(x->param("id")))); });
  r.post("/echo", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, x->req().body)); });
  r.get("/scheme", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, x->req().secure ? "https" : "http")); });
  r.get("/boom", [](const http::exchange_ptr&) { throw std::runtime_error("handler bug"); });
  r.get("/split", [](const http::exchange_ptr& x) {
    auto reply = http::response::text(200, "split");
    reply.headers.set("X-Note", "fine\r\nSet-Cookie: evil=1");
    x->respond(std::move(reply));
  });
  r.get("/framing", [](const http::exchange_ptr& x) {
    auto reply = http::response::text(200, "short");
    reply.headers.set("Content-Length", "999");
    reply.headers.set("Connection", "close");
    x->respond(std::move(reply));
  });
  r.get("/control", [](const http::exchange_ptr& x) {
    auto reply = http::response::text(200, "control");
    reply.headers.set("X-Bell", "ring\x07");
    reply.headers.set("X-Delete", "a\x7F"
                                  "b");
    reply.headers.set("X-Tabbed", "a\tb");
    x->respond(std::move(reply));
  });
  r.get("/empty", [](const http::exchange_ptr& x) { x->respond(http::response{204, {}, {}, {}}); });
  r.get("/interim", [](const http::exchange_ptr& x) { x->respond(http::response{103, {}, {}, {}}); });
  r.get("/bad-name", [](const http::exchange_ptr& x) {
    auto reply = http::response::text(200, "named");
    reply.headers.add("Content-Length ", "999");
    reply.headers.add("X-Good", "kept");
    x->respond(std::move(reply));
  });
  r.get("/cookie/public", [](const http::exchange_ptr& x) {
    auto reply = http::response::text(200, "asset");
    reply.headers.set("Cache-Control", "public, max-age=31536000, immutable");
    x->add_response_header("Set-Cookie", "session=renewed; HttpOnly");
    x->respond(std::move(reply));
  });
  r.get("/cookie/private", [](const http::exchange_ptr& x) {
    auto reply = http::response::text(200, "mine");
    reply.headers.set("Cache-Control", "private, max-age=60");
    reply.headers.add("Set-Cookie", "pref=1");
    x->respond(std::move(reply));
  });
}

bool still_serves(std::uint16_t port) {
  auto reply = http_get(port, "/healthz");
  return reply && reply->status == 200;
}

} // namespace

TEST_CASE("GET /healthz answers 200 with a JSON status through the host") {
  running_host server;
  auto reply = http_get(server.port(), "/healthz");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->header("Content-Type") == "application/json");
  CHECK(reply->body == R"({"status":"ok"})");
}

TEST_CASE("requests reach route handlers with their path parameters") {
  running_host server(add_echo_routes);
  auto reply = http_get(server.port(), "/todos/42");
  REQUIRE(reply);
  CHECK(reply->body == "todo 42");
}

TEST_CASE("a keep-alive connection serves several requests in turn") {
  running_host server;
  raw_connection c(server.port());
  for (int i = 0; i < 5; ++i) {
    c.send(get_healthz);
    auto reply = c.read_response();
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->header("Connection") != std::optional<std::string>("close"));
  }
}

TEST_CASE("pipelined requests are answered in order on one connection") {
  running_host server(add_echo_routes);
  raw_connection c(server.port());
  c.send("GET /todos/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /todos/2 HTTP/1.1\r\nHost: x\r\n\r\nGET /todos/3 HTTP/1.1\r\nHost: x\r\n\r\n");
  for (auto expected : {"todo 1", "todo 2", "todo 3"}) {
    auto reply = c.read_response();
    REQUIRE(reply);
    CHECK(reply->body == expected);
  }
}

TEST_CASE("requests the server reads itself and requests it leaves to Beast share a connection, answered in order") {
  running_host server(add_echo_routes);
  raw_connection c(server.port());
  c.send("GET /todos/1 HTTP/1.1\r\nHost: x\r\n\r\n"                              // read without Beast
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"      // a body: Beast's
         "GET /todos/2 HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, x\r\n\r\n" // a list: Beast's
         "GET /todos/3 HTTP/1.1\r\nHost: x\r\nX-Note:\tsome\ttabs \r\n\r\n");    // without Beast again
  for (auto expected : {"todo 1", "hello", "todo 2", "todo 3"}) {
    auto reply = c.read_response();
    REQUIRE(reply);
    CHECK(reply->body == expected);
  }
}

TEST_CASE("a request head that arrives in pieces is read whole") {
  running_host server(add_echo_routes);
  raw_connection c(server.port());
  c.send("GET /todos/7 HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(50ms);
  c.send("st: x\r\nCookie: a=");
  std::this_thread::sleep_for(50ms);
  c.send("b\r\n\r\n");
  auto reply = c.read_response();
  REQUIRE(reply);
  CHECK(reply->body == "todo 7");
  c.send("GET /todos/8 HTTP/1.1\r\nHost: x\r\n\r\n");
  reply = c.read_response();
  REQUIRE(reply);
  CHECK(reply->body == "todo 8");
}

TEST_CASE("a POST body reaches the handler") {
  running_host server(add_echo_routes);
  auto reply = round_trip(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
  REQUIRE(reply);
  CHECK(reply->body == "hello world");
}

TEST_CASE("a chunked POST body is reassembled") {
  running_host server(add_echo_routes);
  auto reply =
      round_trip(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  REQUIRE(reply);
  CHECK(reply->body == "hello world");
}

TEST_CASE("a malformed request line gets 400, the connection closes, and the server serves the next client") {
  running_host server;
  raw_connection c(server.port());
  c.send("GARBAGE\r\n\r\n");
  auto reply = c.read_response();
  REQUIRE(reply);
  CHECK(reply->status == 400);
  CHECK(reply->body.find("not well-formed HTTP") != std::string::npos);
  CHECK(c.closed_by_server(2s));
  CHECK(still_serves(server.port()));
}

TEST_CASE("a header with no colon gets 400") {
  running_host server;
  auto reply = round_trip(server.port(), "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n");
  REQUIRE(reply);
  CHECK(reply->status == 400);
  CHECK(still_serves(server.port()));
}

TEST_CASE("headers larger than the limit get 431 and the server serves the next client") {
  running_host server;
  auto reply = round_trip(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  REQUIRE(reply);
  CHECK(reply->status == 431);
  CHECK(reply->body.find("4096 bytes") != std::string::npos);
  CHECK(still_serves(server.port()));
}

TEST_CASE("a head over the limit gets 431 however its bytes arrive, also after a request that moved the reads' boundaries") {
  // The first request takes the start of the server's first read (4096 bytes); the rest of the
  // second head, over the 4096-byte limit, then comes whole in the next read. Beast, given a whole
  // head, limits the fields and not the request line: 200 bytes of it took the head past the
  // limit unnoticed. Found by fuzzing.
  running_host server;
  raw_connection c(server.port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz?" + std::string(200, 'q') +
         " HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(3950, 'a') + "\r\n\r\n");
  auto first = c.read_response();
  REQUIRE(first);
  CHECK(first->status == 200);
  auto second = c.read_response();
  REQUIRE(second);
  CHECK(second->status == 431);
  CHECK(c.closed_by_server(2s));
}

TEST_CASE("a declared body larger than the limit gets 413 before the body is sent") {
  running_host server(add_echo_routes);
  auto reply = round_trip(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
  REQUIRE(reply);
  CHECK(reply->status == 413);
  CHECK(still_serves(server.port()));
}

TEST_CASE("a chunked body that grows past the limit gets 413") {
  running_host server(add_echo_routes);
  auto reply = round_trip(server.port(),
                          "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(2048, 'b') + "\r\n0\r\n\r\n");
  REQUIRE(reply);
  CHECK(reply->status == 413);
  CHECK(still_serves(server.port()));
}

TEST_CASE("Expect: 100-continue gets an interim 100 before the body is read") {
  running_host server(add_echo_routes);
  raw_connection c(server.port());
  c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  c.send("ping");
  auto reply = c.read_response();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == "ping");
}

TEST_CASE("a client that sends half a request and stalls is disconnected while others are served") {
  running_host server;
  raw_connection slow(server.port());
  slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Trickle: a");
  CHECK(still_serves(server.port()));
  CHECK(slow.closed_by_server(3s)); // request headers timeout is 1 s in the test settings
  CHECK(still_serves(server.port()));
}

TEST_CASE("an idle keep-alive connection is closed after the keep-alive timeout") {
  running_host server;
  raw_connection c(server.port());
  c.send(get_healthz);
  REQUIRE(c.read_response());
  CHECK(c.closed_by_server(4s)); // keep-alive timeout is 2 s in the test settings
}

TEST_CASE("a client that half-closes after its request gets the answer, and the connection ends by the keep-alive timeout") {
  running_host server;
  raw_connection c(server.port());
  c.send(get_healthz);
  c.finish_sending(); // the FIN comes with the request: no later event tells the server of it
  auto reply = c.read_response();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(c.closed_by_server(4s)); // keep-alive timeout is 2 s in the test settings
  CHECK(still_serves(server.port()));
}

TEST_CASE("an unknown route gets 404 and a wrong method gets 405") {
  running_host server(add_echo_routes);
  auto missing = http_get(server.port(), "/nowhere");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto wrong = round_trip(server.port(), "DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(wrong);
  CHECK(wrong->status == 405);
  CHECK(wrong->header("Allow") == "POST");
}

TEST_CASE("HEAD gets the headers of GET with no body") {
  running_host server;
  raw_connection c(server.port());
  c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto reply = c.read_response(5s, true);
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->header("Content-Length") == "15");
  c.send(get_healthz); // the connection is still in step: no stray body bytes
  auto next = c.read_response();
  REQUIRE(next);
  CHECK(next->body == R"({"status":"ok"})");
}

TEST_CASE("a response header with a control character other than a tab is left out, since clients would refuse the response") {
  running_host server(add_echo_routes);
  auto reply = http_get(server.port(), "/control");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK_FALSE(reply->header("X-Bell"));
  CHECK_FALSE(reply->header("X-Delete"));
  CHECK(reply->header("X-Tabbed") == "a\tb");
}

TEST_CASE("a response header with a line break is left out, so a handler cannot split the response") {
  running_host server(add_echo_routes);
  raw_connection c(server.port());
  c.send("GET /split HTTP/1.1\r\nHost: x\r\n\r\n");
  auto reply = c.read_response();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == "split");
  CHECK_FALSE(reply->header("Set-Cookie"));
  CHECK_FALSE(reply->header("X-Note"));
  c.send(get_healthz);
  auto next = c.read_response();
  REQUIRE(next);
  CHECK(next->status == 200);
}

TEST_CASE("a handler's own Content-Length and Connection cannot contradict the message's framing") {
  running_host server(add_echo_routes);
  raw_connection c(server.port());
  c.send("GET /framing HTTP/1.1\r\nHost: x\r\n\r\n");
  auto reply = c.read_response();
  REQUIRE(reply);
  CHECK(reply->header("Content-Length") == "5");
  CHECK(reply->body == "short");
  CHECK(reply->header("Connection") != std::optional<std::string>("close"));
  c.send(get_healthz); // still in step and still open
  auto next = c.read_response();
  REQUIRE(next);
  CHECK(next->status == 200);
}

TEST_CASE("a 204 answer carries no length and no body, and the connection stays in step") {
  running_host server(add_echo_routes);
  raw_connection c(server.port());
  c.send("GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
  auto reply = c.read_response(5s, true);
  REQUIRE(reply);
  CHECK(reply->status == 204);
  CHECK_FALSE(reply->header("Content-Length"));
  c.send(get_healthz);
  auto next = c.read_response();
  REQUIRE(next);
  CHECK(next->body == R"({"status":"ok"})");
}

TEST_CASE("an HTTP/1.0 client that asks to keep the connection is told so and served again — one that does not is closed") {
  running_host server;
  raw_connection kept(server.port());
  for (int i = 0; i < 2; ++i) {
    kept.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    auto reply = kept.read_response();
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->header("Connection") == "keep-alive");
  }
  raw_connection closed(server.port());
  closed.send("GET /healthz HTTP/1.0\r\n\r\n");
  auto reply = closed.read_response();
  REQUIRE(reply);
  CHECK(reply->header("Connection") == "close");
  CHECK(closed.closed_by_server(5s));
}

TEST_CASE("a handler that answers with an interim status gets the client a 500, not a wait") {
  running_host server(add_echo_routes);
  auto reply = http_get(server.port(), "/interim");
  REQUIRE(reply);
  CHECK(reply->status == 500);
  CHECK(still_serves(server.port()));
}

TEST_CASE("a response header whose name is not a token is left out") {
  running_host server(add_echo_routes);
  auto reply = round_trip(server.port(), "GET /bad-name HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(reply);
  CHECK(reply->header("Content-Length") == "5");
  CHECK(reply->head.find(": 999\r\n") == std::string::npos); // not "999" alone: a random correlation id may hold it
  CHECK(reply->head.find("Content-Length :") == std::string::npos);
  CHECK(reply->header("X-Good") == "kept");
}

TEST_CASE("a response that sets a cookie is kept out of shared caches, and a private choice is kept") {
  running_host server(add_echo_routes);
  auto shared = http_get(server.port(), "/cookie/public");
  REQUIRE(shared);
  CHECK(shared->header("Cache-Control") == "no-cache, no-store");
  CHECK(shared->header("Set-Cookie") == "session=renewed; HttpOnly");
  auto own = http_get(server.port(), "/cookie/private");
  REQUIRE(own);
  CHECK(own->header("Cache-Control") == "private, max-age=60");
}

TEST_CASE("a chunked request's trailer fields are dropped, so none can arrive after the header was checked") {
  running_host server(add_echo_routes);
  auto reply = round_trip(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                         "5\r\nhello\r\n0\r\nX-Correlation-ID: smuggled\r\n\r\n");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == "hello");
  CHECK(reply->header("X-Correlation-ID") != std::optional<std::string>("smuggled"));
}

TEST_CASE("a handler that throws gets the client a 500 and the server goes on") {
  running_host server(add_echo_routes);
  auto reply = http_get(server.port(), "/boom");
  REQUIRE(reply);
  CHECK(reply->status == 500);
  CHECK(reply->body.find("handler bug") == std::string::npos);
  CHECK(still_serves(server.port()));
}

TEST_CASE("a well-formed correlation id is echoed and a hostile one is replaced") {
  running_host server;
  raw_connection c(server.port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: abc-123\r\n\r\n");
  auto kept = c.read_response();
  REQUIRE(kept);
  CHECK(kept->header("X-Correlation-ID") == "abc-123");
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Correlation-ID: a\" level=error msg=forged\r\n\r\n");
  auto replaced = c.read_response();
  REQUIRE(replaced);
  auto id = replaced->header("X-Correlation-ID");
  REQUIRE(id);
  CHECK(id->size() == 32);
  CHECK(id->find("forged") == std::string::npos);
}

TEST_CASE("generated correlation ids are 32 lowercase hex digits, all different, using every digit") {
  running_host server;
  raw_connection c(server.port());
  std::set<std::string> seen;
  std::set<char> digits;
  for (int i = 0; i < 50; ++i) {
    c.send(get_healthz);
    auto reply = c.read_response();
    REQUIRE(reply);
    auto id = reply->header("X-Correlation-ID");
    REQUIRE(id);
    CHECK(id->size() == 32);
    CHECK(id->find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(std::string(*id));
    digits.insert(id->begin(), id->end());
  }
  CHECK(seen.size() == 50);
  CHECK(digits.size() == 16);
}

TEST_CASE("GET /metrics counts requests by route and status in Prometheus format") {
  running_host server;
  REQUIRE(still_serves(server.port()));
  REQUIRE(still_serves(server.port()));
  REQUIRE(http_get(server.port(), "/nowhere"));
  auto reply = http_get(server.port(), "/metrics");
  REQUIRE(reply);
  CHECK(reply->header("Content-Type")->find("text/plain; version=0.0.4") == 0);
  CHECK(reply->body.find(R"(onbehalf_http_requests_total{method="GET",route="/healthz",status="200"} 2)") != std::string::npos);
  CHECK(reply->body.find(R"(onbehalf_http_requests_total{method="any",route="unmatched",status="404"} 1)") != std::string::npos);
  CHECK(reply->body.find("onbehalf_http_request_duration_seconds_bucket") != std::string::npos);
}

TEST_CASE("many clients at once are all answered") {
  running_host server(add_echo_routes);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&, t] {
      raw_connection c(server.port());
      for (int i = 0; i < 25; ++i) {
        auto id = std::to_string(t * 100 + i);
        c.send("GET /todos/" + id + " HTTP/1.1\r\nHost: x\r\n\r\n");
        auto reply = c.read_response();
        if (reply && reply->body == "todo " + id) ++ok;
      }
    });
  }
  for (auto& c : clients) c.join();
  CHECK(ok == 16 * 25);
}

TEST_CASE("graceful shutdown finishes a request in flight, then refuses new connections") {
  std::promise<void> handler_started;
  std::promise<void> release_handler;
  auto release = release_handler.get_future().share();
  std::thread responder;
  {
    running_host server([&](http::router& r) {
      r.get("/slow", [&](const http::exchange_ptr& x) {
        handler_started.set_value();
        // Answer later from another thread, as a handler waiting on a downstream call would.
        responder = std::thread([x, release] {
          release.wait();
          x->respond(http::response::text(200, "finished"));
        });
      });
    });
    raw_connection c(server.port());
    c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(handler_started.get_future().wait_for(5s) == std::future_status::ready);

    server.host().stop();
    std::this_thread::sleep_for(100ms);
    CHECK_FALSE(raw_connection(server.port()).connected());
    release_handler.set_value();

    auto reply = c.read_response();
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->body == "finished");
    CHECK(reply->header("Connection") == "close");
    server.host().wait();
  }
  responder.join();
}

TEST_CASE("graceful shutdown closes idle keep-alive connections at once") {
  running_host server;
  raw_connection idle(server.port());
  idle.send(get_healthz);
  REQUIRE(idle.read_response());
  server.host().stop();
  CHECK(idle.closed_by_server(1s)); // well before the 2 s keep-alive timeout would close it
  server.host().wait();
}

TEST_CASE("a shutdown that times out with a handler still running ends cleanly") {
  auto settings = test_settings();
  settings.host.limits.shutdown_timeout = std::chrono::seconds(1);
  std::promise<void> handler_started;
  std::thread late_answer;
  {
    actors::host host(settings);
    auto& stuck = host.routes().get("/stuck", [&](const http::exchange_ptr& x) {
      handler_started.set_value();
      // Holds the request past the shutdown timeout, then answers into a server that is gone.
      late_answer = std::thread([x = http::exchange_ptr(x)]() mutable {
        std::this_thread::sleep_for(1500ms);
        x->respond(http::response::text(200, "too late"));
        x.reset();
      });
    });
    stuck.anonymous = true;
    auto port = host.start();
    REQUIRE(port);
    raw_connection c(*port);
    c.send("GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(handler_started.get_future().wait_for(5s) == std::future_status::ready);
    raw_connection idle(*port); // a connection that never sends a request, suspended in its read
    host.stop();
    host.wait(); // returns after the 1 s timeout, tearing down suspended connections
    CHECK(c.closed_by_server(2s));
    late_answer.join();
  }
  SUCCEED("the host was destroyed after a forced shutdown");
}
