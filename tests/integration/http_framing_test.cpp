// Request framing as RFC 9112 asks, tried the way request smuggling is: each row sends a message
// whose length or target two parsers could read differently, then a second request on the same
// connection. The server must refuse the first with the row's status and close the connection,
// so that nothing behind it is ever read as a request (sections 3.2, 6.1 and 6.3). Rows that are
// unusual but unambiguous are served, and the connection stays open.
#include "running_host.hpp"
#include "test_client.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

struct framing_case {
  const char* what;
  std::string request;
  int status; // what the first request gets
};

// The request a front proxy that framed the row differently would pass on as a second one.
const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

std::string post_echo(const std::string& fields, const std::string& body, const char* version = "HTTP/1.1") {
  return std::string("POST /echo ") + version + "\r\n" + fields + "\r\n" + body;
}

const std::vector<framing_case> refused = {
    {"Transfer-Encoding whose last coding is not chunked (chunked, identity)",
     post_echo("Host: x\r\nTransfer-Encoding: chunked, identity\r\n", "5\r\nhello\r\n0\r\n\r\n"), 400},
    {"Transfer-Encoding gzip alone", post_echo("Host: x\r\nTransfer-Encoding: gzip\r\n", "5\r\nhello\r\n0\r\n\r\n"), 400},
    {"Transfer-Encoding xchunked", post_echo("Host: x\r\nTransfer-Encoding: xchunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), 400},
    {"Transfer-Encoding chunked twice in one field", post_echo("Host: x\r\nTransfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"), 400},
    {"two Transfer-Encoding fields", post_echo("Host: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400},
    {"a coding before chunked that the server does not implement (gzip, chunked)",
     post_echo("Host: x\r\nTransfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), 501},
    {"Transfer-Encoding with Content-Length", post_echo("Host: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"), 400},
    {"Transfer-Encoding on HTTP/1.0", post_echo("Host: x\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", "HTTP/1.0"), 400},
    {"two different Content-Length fields", post_echo("Host: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n", "hello!"), 400},
    {"two equal Content-Length fields", post_echo("Host: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n", "hello"), 400},
    {"a Content-Length list", post_echo("Host: x\r\nContent-Length: 5, 5\r\n", "hello"), 400},
    {"a Content-Length with a sign", post_echo("Host: x\r\nContent-Length: +5\r\n", "hello"), 400},
    {"an HTTP/1.1 request without Host", "GET /healthz HTTP/1.1\r\n\r\n", 400},
    {"two Host fields", "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
    {"two Host fields on HTTP/1.0", "GET /healthz HTTP/1.0\r\nHost: x\r\nHost: y\r\nConnection: keep-alive\r\n\r\n", 400},
    {"a Host that is not a host", "GET /healthz HTTP/1.1\r\nHost: x y\r\n\r\n", 400},
    {"a Host with user information", "GET /healthz HTTP/1.1\r\nHost: evil@x\r\n\r\n", 400},
    {"a request line cut short in its HTTP version, at the end of the head", "GET /healthz HTT\r\n\r\n", 400},
    {"bare LF line ends", "GET /healthz HTTP/1.1\nHost: x\n\n", 400},
    {"a bare LF inside the head", "GET /healthz HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400},
    {"obs-fold (a field continued on the next line)", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", 400},
    {"a NUL in a field value", std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\0c\r\n\r\n", 44), 400},
    {"whitespace between a field name and its colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello", 400},
    {"a chunk size that is not hex", post_echo("Host: x\r\nTransfer-Encoding: chunked\r\n", "5x\r\nhello\r\n0\r\n\r\n"), 400},
};

const std::vector<framing_case> served = {
    {"chunked in another case", post_echo("Host: x\r\nTransfer-Encoding: Chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"), 200},
    {"an HTTP/1.0 request without Host", "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200},
    {"a Host with a port", "GET /healthz HTTP/1.1\r\nHost: x.example:8443\r\n\r\n", 200},
    {"an IPv6 Host", "GET /healthz HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200},
    {"an empty Host (a target without an authority)", "GET /healthz HTTP/1.1\r\nHost:\r\n\r\n", 200},
};

void add_echo(http::router& r) {
  r.post("/echo", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, x->req().body)); });
}

} // namespace

TEST_CASE("framing: every ambiguous request is refused and its connection closed, so nothing behind it is read as a request") {
  running_host server(add_echo);
  for (const auto& row : refused) {
    INFO(row.what);
    raw_connection c(server.port());
    c.send(row.request + smuggled);
    auto reply = c.read_response(2s);
    REQUIRE(reply);
    CHECK(reply->status == row.status);
    CHECK(c.closed_by_server(2s));
  }
  CHECK(http_get(server.port(), "/healthz"));
}

TEST_CASE("framing: unusual but unambiguous requests are served, and the connection stays open for the next") {
  running_host server(add_echo);
  for (const auto& row : served) {
    INFO(row.what);
    raw_connection c(server.port());
    c.send(row.request + smuggled);
    auto first = c.read_response(2s);
    REQUIRE(first);
    CHECK(first->status == row.status);
    auto second = c.read_response(2s);
    REQUIRE(second);
    CHECK(second->status == 200);
  }
}

TEST_CASE("framing: after a refusal the server reads away what the client still sends, so the connection ends without a reset") {
  running_host server(add_echo);
  raw_connection c(server.port());
  // Bytes left unread when a socket closes make the kernel reset the connection, and a reset can
  // discard an answer the client has not read yet (RFC 9112 section 9.6).
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n");
  auto reply = c.read_response(2s);
  REQUIRE(reply);
  CHECK(reply->status == 400);
  c.send(std::string(64 * 1024, 'x')); // the rest of a pipeline, sent before the client saw the answer
  CHECK_FALSE(c.reset_by_server(500ms));
  c.finish_sending(); // and then the server ends the connection in order
  CHECK(c.closed_by_server(3s));
}
