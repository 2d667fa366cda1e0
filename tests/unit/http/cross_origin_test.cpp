#include "onbehalf/http/cross_origin.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::http;

namespace {
request from(std::string peer, std::vector<std::pair<std::string, std::string>> headers) {
  request r;
  r.method = "POST";
  r.remote_address = std::move(peer);
  for (auto& [name, value] : headers) r.headers.add(name, value);
  return r;
}
} // namespace

TEST_CASE("a development control answers scripts on this machine, by the names of this machine") {
  for (std::string host : {"127.0.0.1:5100", "localhost:5100", "LOCALHOST", "[::1]:5100", "127.0.0.1"}) {
    INFO(host);
    CHECK(is_local_tool_request(from("127.0.0.1", {{"Host", host}})));
  }
  CHECK(is_local_tool_request(from("::1", {{"Host", "[::1]:5100"}})));
  CHECK(is_local_tool_request(from("127.0.0.1", {{"Host", "localhost:5100"}, {"Origin", "http://localhost:5100"}})));
}

TEST_CASE("a development control refuses other machines, other names and other pages") {
  CHECK_FALSE(is_local_tool_request(from("192.0.2.1", {{"Host", "127.0.0.1:5100"}})));
  CHECK_FALSE(is_local_tool_request(from("127.0.0.1", {})));
  for (std::string host : {"evil.example:5100", "127.0.0.1.evil.example", "localhost.evil.example:5100", "[::2]:5100"}) {
    INFO(host);
    CHECK_FALSE(is_local_tool_request(from("127.0.0.1", {{"Host", host}})));
  }
  CHECK_FALSE(is_local_tool_request(from("127.0.0.1", {{"Host", "localhost:5100"}, {"Origin", "http://localhost:3000"}})));
  CHECK_FALSE(is_local_tool_request(from("127.0.0.1", {{"Host", "localhost:5100"}, {"Sec-Fetch-Site", "cross-site"}})));
  // A reverse proxy on this machine forwards requests from anywhere, with a loopback Host.
  for (std::string proxy_header : {"X-Forwarded-For", "Forwarded", "X-Real-IP", "Via", "X-Forwarded-Host", "X-Forwarded-Proto"}) {
    INFO(proxy_header);
    CHECK_FALSE(is_local_tool_request(from("127.0.0.1", {{"Host", "127.0.0.1:5000"}, {proxy_header, "203.0.113.9"}})));
  }
}
