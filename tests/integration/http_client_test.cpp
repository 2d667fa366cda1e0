// The pooled HTTP client against real servers on loopback: onbehalf's own, plain and TLS, and raw sockets.
#include "../support/ports.hpp"
#include "../support/raw_server.hpp"
#include "../support/self_signed.hpp"
#include "../support/sync_client.hpp"
#include "../support/temp_dir.hpp"
#include "running_host.hpp"

#include "onbehalf/http/client.hpp"
#include "onbehalf/http/server.hpp"

#include <future>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

http::client_result send(http::client& c, http::client_request r) { return send_and_wait(c, std::move(r)); }

http::client_result get(http::client& c, const std::string& url) { return send(c, {"GET", url, {}, {}, {}}); }

void add_test_routes(http::router& r) {
  r.get("/hello", [](const http::exchange_ptr& x) {
    auto reply = http::response::text(200, "hello");
    reply.headers.set("X-Seen-Header", std::string(x->req().headers.find("X-Test").value_or("")));
    x->respond(std::move(reply));
  });
  r.post("/echo", [](const http::exchange_ptr& x) { x->respond(http::response::text(201, x->req().body)); });
  r.get("/big", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, std::string(64 * 1024, 'x'))); });
  r.get("/slow", [](const http::exchange_ptr& x) {
    std::thread([x] {
      std::this_thread::sleep_for(1s);
      x->respond(http::response::text(200, "late"));
    }).detach();
  });
}

std::string base(const running_host& h, const char* scheme = "http") { return std::string(scheme) + "://127.0.0.1:" + std::to_string(h.port()); }

// A GET that must be answered, or fail, at once: a 3 s response timeout, and how long it took.
struct timed_reply {
  http::client_result result;
  std::chrono::steady_clock::duration took;
};
timed_reply get_timed(http::client& c, const std::string& url) {
  http::client_request r{"GET", url, {}, {}, {}};
  r.response_timeout = 3s;
  auto started = std::chrono::steady_clock::now();
  auto result = send(c, std::move(r));
  return {std::move(result), std::chrono::steady_clock::now() - started};
}

http::client_error error_of(const http::client_result& r) {
  REQUIRE_FALSE(r);
  return r.error().error;
}

} // namespace

TEST_CASE("a GET brings back the status, headers and body, and sends the request's headers") {
  running_host server(add_test_routes);
  auto c = make_client();
  http::client_request r{"GET", base(server) + "/hello", {}, {}, {}};
  r.headers.set("X-Test", "present");
  auto reply = send(*c, r);
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == "hello");
  CHECK(reply->headers.find("X-Seen-Header") == "present");
}

TEST_CASE("a POST body reaches the server") {
  running_host server(add_test_routes);
  auto c = make_client();
  auto reply = send(*c, {"POST", base(server) + "/echo", {}, "some body", {}});
  REQUIRE(reply);
  CHECK(reply->status == 201);
  CHECK(reply->body == "some body");
}

TEST_CASE("requests to one host reuse a pooled keep-alive connection") {
  running_host server(add_test_routes);
  auto c = make_client();
  for (int i = 0; i < 5; ++i) REQUIRE(get(*c, base(server) + "/hello"));
  CHECK(c->connections_opened() == 1);
  CHECK(c->idle_connections() == 1);
}

TEST_CASE("a burst of a hundred concurrent requests leaves its connections pooled for the next burst") {
  running_host server(add_test_routes);
  auto c = make_client();
  auto burst = [&] {
    std::vector<std::promise<http::client_result>> done(100);
    for (auto& d : done) c->send({"GET", base(server) + "/slow", {}, {}, {}}, [&d](http::client_result r) { d.set_value(std::move(r)); });
    for (auto& d : done) {
      auto f = d.get_future();
      REQUIRE(f.wait_for(10s) == std::future_status::ready);
      REQUIRE(f.get());
    }
  };
  burst(); // each request holds its connection for a second: a hundred connections
  CHECK(c->idle_connections() == 100);
  burst();
  CHECK(c->connections_opened() == 100);
}

TEST_CASE("concurrent requests each get their own answer") {
  running_host server(add_test_routes);
  auto c = make_client();
  std::vector<std::promise<http::client_result>> done(20);
  for (auto& d : done) c->send({"POST", base(server) + "/echo", {}, "x", {}}, [&d](http::client_result r) { d.set_value(std::move(r)); });
  for (auto& d : done) {
    auto f = d.get_future();
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    CHECK(f.get()->body == "x");
  }
}

TEST_CASE("an unreachable server is a connect failure naming the address") {
  auto c = make_client();
  testing::closed_port closed;
  auto port = closed.number();
  auto reply = get(*c, "http://127.0.0.1:" + std::to_string(port) + "/");
  CHECK(error_of(reply) == http::client_error::connect_failed);
  CHECK(reply.error().message.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

TEST_CASE("a server that does not answer in time is a timeout") {
  running_host server(add_test_routes);
  auto c = make_client();
  http::client_request r{"GET", base(server) + "/slow", {}, {}, 200ms};
  CHECK(error_of(send(*c, r)) == http::client_error::timeout);
}

TEST_CASE("a request's own short timeout is kept though the client's is long") {
  running_host server(add_test_routes);
  http::client_options options;
  options.connect_timeout = 60s;
  options.response_timeout = 60s; // deadlines are checked once a second for these limits alone
  auto c = make_client(options);
  http::client_request r{"GET", base(server) + "/slow", {}, {}, 200ms};
  auto started = std::chrono::steady_clock::now();
  CHECK(error_of(send(*c, r)) == http::client_error::timeout);
  CHECK(std::chrono::steady_clock::now() - started < 700ms); // the server answers after 1 s
}

TEST_CASE("a response larger than the limit is refused") {
  running_host server(add_test_routes);
  http::client_options options;
  options.max_response_bytes = 1024;
  auto c = make_client(options);
  CHECK(error_of(get(*c, base(server) + "/big")) == http::client_error::response_too_large);
}

TEST_CASE("a reply that is not HTTP is a malformed response") {
  raw_server garbage("SSH-2.0-OpenSSH_9.2\r\n\r\nnot http at all\r\n");
  auto c = make_client();
  CHECK(error_of(get(*c, "http://127.0.0.1:" + std::to_string(garbage.port()) + "/")) == http::client_error::malformed_response);
}

TEST_CASE("an invalid URL is refused before anything is sent") {
  auto c = make_client();
  CHECK(error_of(get(*c, "ftp://127.0.0.1/")) == http::client_error::invalid_url);
  CHECK(error_of(get(*c, "not a url")) == http::client_error::invalid_url);
}

TEST_CASE("an unreadable CA bundle fails the client's creation with the path") {
  http::client_options options;
  options.ca_bundle_path = "/no/such/ca.pem";
  auto c = http::client::create(options);
  REQUIRE_FALSE(c);
  CHECK(c.error().find("/no/such/ca.pem") != std::string::npos);
}

namespace {
struct tls_server {
  temp_dir dir;
  std::string certificate_path = dir.path("cert.pem"); // before `server`, whose settings use it
  self_signed certificate;
  running_host server;

  explicit tls_server(const std::string& alt_names = "IP:127.0.0.1,DNS:localhost")
      : certificate(false, alt_names), server(add_test_routes, settings()) {}

  config::app_settings settings() {
    certificate.write_pem(certificate_path, dir.path("key.pem"));
    auto s = test_settings();
    s.host.tls.certificate_path = certificate_path;
    s.host.tls.key_path = dir.path("key.pem");
    return s;
  }
};
} // namespace

TEST_CASE("HTTPS works when the server's certificate is trusted through the CA bundle") {
  tls_server tls;
  http::client_options options;
  options.ca_bundle_path = tls.certificate_path;
  auto c = make_client(options);
  auto reply = get(*c, base(tls.server, "https") + "/hello");
  INFO((reply ? std::string() : reply.error().message));
  REQUIRE(reply);
  CHECK(reply->body == "hello");
}

TEST_CASE("HTTPS to a server whose certificate is not trusted fails verification") {
  tls_server tls;
  auto c = make_client();
  CHECK(error_of(get(*c, base(tls.server, "https") + "/hello")) == http::client_error::tls_failed);
}

TEST_CASE("HTTPS to a server whose certificate names another host fails verification") {
  tls_server tls("DNS:other.example");
  http::client_options options;
  options.ca_bundle_path = tls.certificate_path;
  auto c = make_client(options);
  CHECK(error_of(get(*c, base(tls.server, "https") + "/hello")) == http::client_error::tls_failed);
}

TEST_CASE("a GET on a pooled connection the server has closed is retried on a new connection") {
  running_host server(add_test_routes); // closes idle connections after 2 s
  auto c = make_client();
  REQUIRE(get(*c, base(server) + "/hello"));
  std::this_thread::sleep_for(2500ms);
  auto reply = get(*c, base(server) + "/hello");
  INFO((reply ? std::string() : reply.error().message));
  REQUIRE(reply);
  CHECK(c->connections_opened() == 2);
}

TEST_CASE("a GET on a pooled connection whose server closed right after its last answer is retried on a new connection") {
  // The end of stream comes with the answer, so no later event tells of it (drained_read.hpp).
  raw_server closes_at_once("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", {.connections = 2});
  auto c = make_client();
  REQUIRE(get(*c, closes_at_once.base_url() + "/"));
  std::this_thread::sleep_for(50ms);
  auto [reply, took] = get_timed(*c, closes_at_once.base_url() + "/");
  INFO((reply ? std::string() : reply.error().message));
  REQUIRE(reply);
  CHECK(reply->body == "ok");
  CHECK(c->connections_opened() == 2);
  CHECK(took < 2s);
}

TEST_CASE("a POST on a pooled connection the server has closed is not retried") {
  running_host server(add_test_routes);
  auto c = make_client();
  REQUIRE(get(*c, base(server) + "/hello"));
  std::this_thread::sleep_for(2500ms);
  CHECK(error_of(send(*c, {"POST", base(server) + "/echo", {}, "once", {}})) == http::client_error::connection_closed);
  CHECK(c->connections_opened() == 1);
}

TEST_CASE("destroying the client completes a request in flight with connection_closed") {
  running_host server(add_test_routes);
  std::promise<http::client_result> done;
  auto future = done.get_future();
  {
    auto c = make_client();
    c->send({"GET", base(server) + "/slow", {}, {}, {}}, [&done](http::client_result r) { done.set_value(std::move(r)); });
    std::this_thread::sleep_for(200ms);
  }
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  CHECK(error_of(future.get()) == http::client_error::connection_closed);
}

namespace {

// A server whose /relay handler fetches `upstream` with a client it lends its I/O threads to, and
// answers whether the client's answer came back on the thread the handler started on.
struct relaying_server {
  relaying_server(http::client& c, std::string upstream) {
    routes.get("/relay", [&c, upstream](const http::exchange_ptr& x) {
      auto started_on = std::this_thread::get_id();
      c.send({"GET", upstream, {}, {}, {}}, [x, started_on](http::client_result r) {
        bool same = std::this_thread::get_id() == started_on;
        x->respond(http::response::text(r ? 200 : 502, same ? "same thread" : "another thread"));
      });
    });
    routes.get("/plain", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "plain")); });
    server.share_io_threads_with(c);
    REQUIRE(server.start());
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server.port()) + path; }

  http::router routes;
  http::inline_dispatcher dispatcher{routes};
  http::server server{{"127.0.0.1", 0, {}, {}, 2, {}}, dispatcher};
};

} // namespace

TEST_CASE("a request sent from the I/O thread of a server that lends its threads runs and completes on that thread") {
  running_host upstream(add_test_routes);
  auto c = make_client();
  relaying_server front(*c, base(upstream) + "/hello");
  auto browser = make_client();
  for (int i = 0; i < 4; ++i) { // both I/O threads, and pooled connections on each
    auto reply = get(*browser, front.url("/relay"));
    REQUIRE(reply);
    CHECK(reply->body == "same thread");
  }
  CHECK(c->connections_opened() <= 2);
}

TEST_CASE("a client sharing a server's threads still runs requests from other threads on its own") {
  running_host upstream(add_test_routes);
  auto c = make_client();
  relaying_server front(*c, base(upstream) + "/hello");
  auto reply = get(*c, base(upstream) + "/hello");
  REQUIRE(reply);
  CHECK(reply->body == "hello");
}

TEST_CASE("a client destroyed before the server that lent it threads leaves the server serving and stopping") {
  running_host upstream(add_test_routes);
  auto c = make_client();
  relaying_server front(*c, base(upstream) + "/hello");
  auto browser = make_client();
  REQUIRE(get(*browser, front.url("/relay"))); // a pooled connection now lives on a lent thread
  c.reset();
  auto reply = get(*browser, front.url("/plain"));
  REQUIRE(reply);
  CHECK(reply->body == "plain");
  auto stopped = std::async(std::launch::async, [&front] {
    front.server.stop();
    front.server.wait();
  });
  CHECK(stopped.wait_for(10s) == std::future_status::ready);
}

TEST_CASE("a server that lent its threads stops promptly, and the client works on after it") {
  running_host upstream(add_test_routes);
  auto c = make_client();
  {
    relaying_server front(*c, base(upstream) + "/hello");
    auto browser = make_client();
    REQUIRE(get(*browser, front.url("/relay")));
    auto stopped = std::async(std::launch::async, [&front] {
      front.server.stop();
      front.server.wait();
    });
    CHECK(stopped.wait_for(10s) == std::future_status::ready);
  }
  auto reply = get(*c, base(upstream) + "/hello");
  REQUIRE(reply);
  CHECK(reply->body == "hello");
}

TEST_CASE("a large answer that arrives over many reads is read whole") {
  running_host server(add_test_routes);
  auto c = make_client();
  auto reply = get(*c, base(server) + "/big");
  REQUIRE(reply);
  CHECK(reply->body == std::string(64 * 1024, 'x'));
  CHECK(c->idle_connections() == 1);
}

TEST_CASE("an answer cut off in the middle of its body is a closed connection, and says so") {
  raw_server cut_off("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
  auto c = make_client();
  auto reply = get(*c, cut_off.base_url() + "/");
  CHECK(error_of(reply) == http::client_error::connection_closed);
  CHECK(reply.error().message.find("in the middle of its answer") != std::string::npos);
  CHECK(c->idle_connections() == 0);
}

TEST_CASE("an answer cut off by a reset in the middle of its body is a closed connection, reported at once") {
  raw_server aborts("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial", {.reset = true});
  auto c = make_client();
  auto reply = get_timed(*c, aborts.base_url() + "/");
  CHECK(error_of(reply.result) == http::client_error::connection_closed);
  CHECK(reply.took < 2s);
}

TEST_CASE("an interim answer, then an answer that ends with the connection, is read whole at once") {
  raw_server hints("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                   "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it",
                   {.answer_first = true});
  auto c = make_client();
  auto [reply, took] = get_timed(*c, hints.base_url() + "/");
  INFO((reply ? std::string() : reply.error().message));
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == "all of it");
  CHECK(took < 2s);
}

TEST_CASE("an interim answer and then the end of the connection is a closed connection, reported at once") {
  raw_server gives_up("HTTP/1.1 100 Continue\r\n\r\n", {.answer_first = true});
  auto c = make_client();
  auto reply = get_timed(*c, gives_up.base_url() + "/");
  CHECK(error_of(reply.result) == http::client_error::connection_closed);
  CHECK(reply.took < 2s);
}

TEST_CASE("a server that stalls in the middle of its body is a timeout") {
  raw_server stalls("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial", 3s);
  auto c = make_client();
  http::client_request r{"GET", stalls.base_url() + "/", {}, {}, {}};
  r.response_timeout = 200ms;
  auto started = std::chrono::steady_clock::now();
  CHECK(error_of(send(*c, std::move(r))) == http::client_error::timeout);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("the answer to a HEAD request has no body, whatever its Content-Length says") {
  raw_server peer("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  auto c = make_client();
  auto reply = send(*c, {"HEAD", peer.base_url() + "/", {}, {}, {}});
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body.empty());
}

TEST_CASE("an answer that says Proxy-Connection: close is not pooled, as Beast reads that field as Connection") {
  raw_server peer("HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 2\r\n\r\nok");
  auto c = make_client();
  auto reply = get(*c, peer.base_url() + "/");
  REQUIRE(reply);
  CHECK(reply->body == "ok");
  CHECK(c->idle_connections() == 0);
}

TEST_CASE("a chunked response is reassembled into one body") {
  raw_server chunked("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  auto c = make_client();
  auto reply = get(*c, chunked.base_url() + "/");
  REQUIRE(reply);
  CHECK(reply->body == "hello world");
}

TEST_CASE("a request header with a line break is not sent, so a caller cannot smuggle a field or a request") {
  raw_server peer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  auto c = make_client();
  http::client_request r{"GET", peer.base_url() + "/", {}, {}, {}};
  r.headers.set("X-Note", "fine\r\nX-Smuggled: yes");
  r.headers.set("X-Kept", "kept");
  REQUIRE(send(*c, r));
  auto sent = peer.received();
  CHECK(sent.find("X-Smuggled") == std::string::npos);
  CHECK(sent.find("X-Note") == std::string::npos);
  CHECK(sent.find("X-Kept: kept\r\n") != std::string::npos);
}

TEST_CASE("the Host header names the URL's host and its port") {
  raw_server peer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  auto c = make_client();
  REQUIRE(get(*c, peer.base_url() + "/"));
  auto expected = "Host: " + peer.base_url().substr(std::string("http://").size()) + "\r\n";
  CHECK(peer.received().find(expected) != std::string::npos);
}

TEST_CASE("a request's own Host header replaces the one taken from the URL") {
  raw_server peer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  auto c = make_client();
  http::client_request r{"GET", peer.base_url() + "/", {}, {}, {}};
  r.headers.set("Host", "api.example");
  REQUIRE(send(*c, r));
  auto sent = peer.received();
  CHECK(sent.find("Host: api.example\r\n") != std::string::npos);
  CHECK(sent.find("Host: 127.0.0.1") == std::string::npos);
}

TEST_CASE("an empty POST says Content-Length: 0, a GET says no length, and a caller's length is not trusted") {
  raw_server post_peer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  raw_server get_peer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  auto c = make_client();
  http::client_request post{"POST", post_peer.base_url() + "/", {}, {}, {}};
  post.headers.set("Content-Length", "99");
  REQUIRE(send(*c, post));
  REQUIRE(get(*c, get_peer.base_url() + "/"));
  auto posted = post_peer.received();
  CHECK(posted.find("Content-Length: 0\r\n") != std::string::npos);
  CHECK(posted.find("Content-Length: 99") == std::string::npos); // not just "99": the port may hold it
  CHECK(get_peer.received().find("Content-Length") == std::string::npos);
}

TEST_CASE("a URL whose path or query has a space or a line break is refused before anything is sent") {
  auto c = make_client();
  CHECK(error_of(get(*c, "http://127.0.0.1:1/todos/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /admin")) == http::client_error::invalid_url);
  CHECK(error_of(get(*c, "http://127.0.0.1:1/a b")) == http::client_error::invalid_url);
  CHECK(error_of(get(*c, "http://127.0.0.1:1/?q=a\tb")) == http::client_error::invalid_url);
}

TEST_CASE("a method that is not a token is refused before anything is sent") {
  auto c = make_client();
  auto reply = send(*c, {"GET / HTTP/1.1\r\nX:", "http://127.0.0.1:1/", {}, {}, {}});
  CHECK(error_of(reply) == http::client_error::invalid_request);
  CHECK(reply.error().message.find("not an HTTP method") != std::string::npos);
}

TEST_CASE("interim answers are read past: the real answer is the one returned") {
  raw_server peer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  auto c = make_client();
  auto reply = get(*c, peer.base_url() + "/");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == "ok");
}

TEST_CASE("a connection whose server sent bytes after its answer is not pooled, so no later request reads them") {
  raw_server clean("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  raw_server chatty("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nstolen");
  auto c = make_client();
  REQUIRE(get(*c, clean.base_url() + "/"));
  CHECK(c->idle_connections() == 1);
  auto reply = get(*c, chatty.base_url() + "/");
  REQUIRE(reply);
  CHECK(reply->body == "ok");
  CHECK(c->idle_connections() == 1); // only the clean one
}
