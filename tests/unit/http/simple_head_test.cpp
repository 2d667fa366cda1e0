// The server's own reader of simple request heads (http/src/simple_head.hpp): what it takes, what
// it leaves to Beast, and that whatever it takes, Beast's parser would have read the same way.
#include "simple_head.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using namespace onbehalf;
using http::detail::read_simple_request_head;
using http::detail::read_simple_response_head;

namespace {

constexpr std::size_t limit = 8192;

const std::string page_request =
    "GET /profile?tab=all HTTP/1.1\r\nHost: 127.0.0.1:5912\r\nAccept: text/html\r\nCookie: .onbehalf.session=" + std::string(300, 'x') +
    "; theme=dark\r\n\r\n";

template <class Message>
std::vector<std::pair<std::string, std::string>> fields_of(const Message& m) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : m.headers.all()) out.emplace_back(f.name, f.value);
  return out;
}

bool declined(std::string_view bytes) {
  http::request r;
  auto head = read_simple_request_head(bytes, limit, r);
  return !head && r.method.empty() && r.target.empty() && r.headers.all().empty();
}

bool response_declined(std::string_view bytes) {
  http::client_response r;
  auto head = read_simple_response_head(bytes, limit, r);
  return !head && r.status == 0 && r.headers.all().empty();
}

const std::string api_answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Correlation-ID: 177d5e6335dd750ab00d8f2c82f540cc\r\n"
                               "Content-Length: 13\r\n\r\n{\"id\": \"abc\"}";

template <class Check>
void for_each_one_byte_change(const std::vector<std::string>& bases, Check check) {
  const std::string replacements = std::string("\0\t \r\n:;,()\x7F\x80\xFF"
                                               "Aa0/",
                                               18);
  for (const auto& base : bases)
    for (std::size_t i = 0; i < base.size(); ++i)
      for (char c : replacements) {
        auto bytes = base;
        bytes[i] = c;
        check(bytes);
      }
}

} // namespace

TEST_CASE("a GET with a few fields and a long cookie is read without Beast, every field in order") {
  http::request r;
  auto head = read_simple_request_head(page_request, limit, r);
  REQUIRE(head);
  CHECK(head->size == page_request.size());
  CHECK(head->version == 11);
  CHECK(head->keep_alive);
  CHECK(r.method == "GET");
  CHECK(r.target == "/profile?tab=all");
  CHECK(r.path == "/profile");
  CHECK(r.query == "tab=all");
  auto fields = fields_of(r);
  REQUIRE(fields.size() == 3);
  CHECK(fields[0] == std::pair<std::string, std::string>{"Host", "127.0.0.1:5912"});
  CHECK(fields[1] == std::pair<std::string, std::string>{"Accept", "text/html"});
  CHECK(fields[2].second == ".onbehalf.session=" + std::string(300, 'x') + "; theme=dark");
}

TEST_CASE("the bytes after a head stay for the next request") {
  std::string two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  http::request r;
  auto head = read_simple_request_head(two, limit, r);
  REQUIRE(head);
  CHECK(head->size == two.size() / 2);
  CHECK(r.path == "/a");
}

TEST_CASE("HTTP/1.1 keeps the connection unless told close — HTTP/1.0 closes it unless told keep-alive") {
  auto keeps = [](std::string_view bytes) {
    http::request r;
    auto head = read_simple_request_head(bytes, limit, r);
    REQUIRE(head);
    return head->keep_alive;
  };
  CHECK(keeps("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK_FALSE(keeps("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  CHECK_FALSE(keeps("GET / HTTP/1.1\r\nHost: x\r\nconnection: CLOSE\r\n\r\n"));
  CHECK_FALSE(keeps("GET / HTTP/1.0\r\n\r\n"));
  CHECK(keeps("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

TEST_CASE("whitespace around a field value is not part of it — tabs and bytes above ASCII inside it are") {
  http::request r;
  REQUIRE(read_simple_request_head("GET / HTTP/1.0\r\nX-A: \t one\ttwo \xC3\xA9 \t\r\nX-Empty:\r\nX-Blank:   \r\n\r\n", limit, r));
  auto fields = fields_of(r);
  REQUIRE(fields.size() == 3);
  CHECK(fields[0].second == "one\ttwo \xC3\xA9");
  CHECK(fields[1].second.empty());
  CHECK(fields[2].second.empty());
}

TEST_CASE("a request with a body, an expectation or an upgrade is left to Beast") {
  for (std::string_view bytes :
       {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", "POST /echo HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nTRANSFER-ENCODING: x\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", "GET /live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nConnection: close\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nProxy-Connection: close\r\n\r\n",
        "GET / HTTP/1.0\r\nproxy-connection: keep-alive\r\n\r\n"}) {
    INFO(bytes);
    CHECK(declined(bytes));
  }
}

TEST_CASE("anything outside the strict grammar is left to Beast, and the request is not touched") {
  using namespace std::string_literals;
  for (std::string bytes : {"GET / HTTP/1.1\r\nHost: x\r\n"s,                         // still arriving
                            "GET / HTTP/1.1\nHost: x\n\n"s,                           // bare LF
                            "GET / HTTP/1.1\r\nHost: x\r\r\n\r\n"s,                   // bare CR
                            "GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n"s, // obs-fold
                            "GET / HTTP/1.1\r\nHost : x\r\n\r\n"s,                    // space before the colon
                            "GET / HTTP/1.1\r\nHost x\r\n\r\n"s,                      // no colon
                            "GET / HTTP/1.1\r\nHost: x\r\n: x\r\n\r\n"s,              // no name
                            "GET / HTTP/1.1\r\nHost: x\r\nX(A): x\r\n\r\n"s,          // name not a token
                            "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"s,        // NUL
                            "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01"
                            "b\r\n\r\n"s, // control character
                            "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7F"
                            "b\r\n\r\n"s,                                                         // DEL
                            "GET / HTTP/1.1\r\nHost: x\r\nX-A: aaaaaaaaaaaaaaaaaaaa\nb\r\n\r\n"s, // LF inside a long value
                            "GET  / HTTP/1.1\r\n\r\n"s,                                           // two spaces
                            "G(T / HTTP/1.1\r\n\r\n"s,                                            // method not a token
                            "GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n"s,                            // control character in the target
                            "GET /\xC3\xA9 HTTP/1.1\r\nHost: x\r\n\r\n"s,                         // byte above ASCII in the target
                            "GET / HTTP/2.0\r\n\r\n"s,
                            "GET / HTTP/1.2\r\n\r\n"s,
                            "GET / http/1.1\r\n\r\n"s,
                            "GET / HTTP/1.1 \r\n\r\n"s,
                            "GET /\r\n\r\n"s,
                            ""s,
                            "GET / HTTP/1.1\r\n\r\n"s,                       // no Host: refused there
                            "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"s, // two Hosts
                            "GET / HTTP/1.1\r\nHost: a@x\r\n\r\n"s}) {       // not a host
    INFO(bytes);
    CHECK(declined(bytes));
  }
}

TEST_CASE("a head longer than the header limit, or with very many fields, is left to Beast") {
  CHECK(declined("GET / HTTP/1.1\r\nX-A: " + std::string(limit, 'a') + "\r\n\r\n"));
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 65; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(declined(many + "\r\n"));
}

// Every request below, and every one-byte change of it, is read by both: whenever the simple
// reader takes one, Beast must take it too and see the same method, target, version, connection
// and fields, ending at the same byte. This is what keeps the two from disagreeing on where a
// request ends (request smuggling).
TEST_CASE("whatever the simple reader takes, Beast's parser reads the same way") {
  namespace bhttp = boost::beast::http;
  std::vector<std::string> bases = {page_request,
                                    "GET / HTTP/1.0\r\nConnection: keep-alive\r\nX-T:\ta\tb\r\n\r\n",
                                    "DELETE /todos/1?x=%20 HTTP/1.1\r\nHost: h\r\nConnection: close\r\nAccept: */*\r\n\r\n",
                                    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nX: y\r\n\r\n",
                                    "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n",
                                    "GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\nX-Proxy-Connection: close\r\n\r\n",
                                    "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"};
  std::size_t taken = 0, compared = 0;
  for_each_one_byte_change(bases, [&](const std::string& bytes) {
    http::request mine;
    auto head = read_simple_request_head(bytes, limit, mine);
    ++compared;
    if (!head) return;
    ++taken;
    INFO(bytes);
    bhttp::request_parser<bhttp::empty_body> beast;
    beast.header_limit(limit);
    boost::beast::error_code ec;
    auto used = beast.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(beast.is_header_done());
    CHECK(beast.is_done());
    CHECK(used == head->size);
    const auto& m = beast.get();
    CHECK(std::string(m.method_string()) == mine.method);
    CHECK(std::string(m.target()) == mine.target);
    CHECK(static_cast<int>(m.version()) == head->version);
    CHECK(beast.keep_alive() == head->keep_alive);
    std::vector<std::pair<std::string, std::string>> theirs;
    for (const auto& f : m) theirs.emplace_back(std::string(f.name_string()), std::string(f.value()));
    CHECK(theirs == fields_of(mine));
  });
  INFO(compared << " requests compared");
  CHECK(taken > 1000); // the changes the simple reader takes are compared, not just counted
}

TEST_CASE("an API's answer with a Content-Length is read without Beast: status, fields in order, and where its body starts") {
  http::client_response r;
  auto head = read_simple_response_head(api_answer, limit, r);
  REQUIRE(head);
  CHECK(r.status == 200);
  CHECK(head->content_length == 13);
  CHECK(head->size == api_answer.size() - 13);
  CHECK(head->keep_alive);
  CHECK(fields_of(r).size() == 3);
  CHECK(r.headers.find("content-type") == "application/json");
  http::client_response closing;
  auto closes = read_simple_response_head("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", limit, closing);
  REQUIRE(closes);
  CHECK(closing.status == 404);
  CHECK_FALSE(closes->keep_alive);
}

TEST_CASE("an answer without exactly one Content-Length, or one that has no body, is left to Beast") {
  for (std::string_view bytes :
       {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\nuntil the end",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nok", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 101 Switching Protocols\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok", "HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok", "SSH-2.0-OpenSSH_9.2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 426 Upgrade Required\r\nUpgrade: TLS/1.2\r\nContent-Length: 0\r\n\r\n"}) {
    INFO(bytes);
    CHECK(response_declined(bytes));
  }
}

TEST_CASE("the two field-value scanners stop at the same byte for every input") {

  const std::string specials = std::string("\0\t\r\n\x1F \x7E\x7F\x80\xFF", 10);
  for (std::size_t length = 0; length <= 72; ++length)
    for (std::size_t at = 0; at < length; ++at)
      for (char c : specials)
        for (char second : {'a', '\t', '\r'}) {
          auto t = std::string(length, 'v');
          t[at] = c;
          if (at + 3 < length) t[at + 3] = second;
          const char* end = t.data() + t.size();
          auto expected = std::find_if(static_cast<const char*>(t.data()), end, [](char ch) {
            auto u = static_cast<unsigned char>(ch);
            return (u < 0x20 && u != '\t') || u == 0x7F;
          });
          INFO(length << " bytes, " << int(static_cast<unsigned char>(c)) << " at " << at);
          CHECK(http::detail::value_end_swar(t.data(), end) == expected);
#if defined(__SSE2__)
          CHECK(http::detail::value_end_sse2(t.data(), end) == expected);
#endif
        }
}

// As for requests: whenever the simple reader takes an answer, Beast takes it too, with the same
// status, version, connection, fields and body, ending at the same byte.
TEST_CASE("whatever the simple reader takes of an answer, Beast's parser reads the same way") {
  namespace bhttp = boost::beast::http;
  std::vector<std::string> bases = {
      api_answer, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer error=\"insufficient_claims\"\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 2\r\n\r\nok"};
  std::size_t taken = 0;
  for_each_one_byte_change(bases, [&](const std::string& bytes) {
    http::client_response mine;
    auto head = read_simple_response_head(bytes, limit, mine);
    if (!head || bytes.size() < head->size + head->content_length) return;
    ++taken;
    INFO(bytes);
    bhttp::response_parser<bhttp::string_body> beast;
    beast.eager(true);
    boost::beast::error_code ec;
    auto used = beast.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (!ec && !beast.is_done() && used < bytes.size()) used += beast.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(beast.is_done());
    CHECK(used == head->size + head->content_length);
    const auto& m = beast.get();
    CHECK(m.result_int() == mine.status);
    CHECK(static_cast<int>(m.version()) == head->version);
    CHECK(beast.keep_alive() == head->keep_alive);
    CHECK(m.body() == bytes.substr(head->size, head->content_length));
    std::vector<std::pair<std::string, std::string>> theirs;
    for (const auto& f : m) theirs.emplace_back(std::string(f.name_string()), std::string(f.value()));
    CHECK(theirs == fields_of(mine));
  });
  CHECK(taken > 500);
}
