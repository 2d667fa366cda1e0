#include "onbehalf/http/forwarded.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::http;

namespace {
request from(std::string peer, std::vector<std::pair<std::string, std::string>> headers, bool secure = false) {
  request r;
  r.remote_address = std::move(peer);
  r.secure = secure;
  for (auto& [name, value] : headers) r.headers.add(name, value);
  return r;
}
const std::vector<std::string> proxies = {"10.0.0.5"};
} // namespace

TEST_CASE("without a proxy the origin comes from the connection and the Host header") {
  auto o = origin_of(from("192.0.2.1", {{"Host", "app.example.com:8443"}}, true), proxies);
  CHECK(o.base() == "https://app.example.com:8443");
  CHECK(o.remote_address == "192.0.2.1");
  CHECK_FALSE(o.via_trusted_proxy);
}

TEST_CASE("forwarded headers from an unknown peer are ignored") {
  auto o = origin_of(
      from("192.0.2.1", {{"Host", "app"}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "evil.example"}, {"X-Forwarded-For", "1.2.3.4"}}),
      proxies);
  CHECK(o.base() == "http://app");
  CHECK(o.remote_address == "192.0.2.1");
}

TEST_CASE("forwarded headers from a known proxy give the browser's scheme, host and address") {
  auto o = origin_of(
      from("10.0.0.5",
           {{"Host", "backend:5000"}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "app.example.com"}, {"X-Forwarded-For", "203.0.113.9"}}),
      proxies);
  CHECK(o.base() == "https://app.example.com");
  CHECK(o.remote_address == "203.0.113.9");
  CHECK(o.via_trusted_proxy);
}

TEST_CASE("in a chain of proxies the nearest entry of each forwarded header counts") {
  auto o = origin_of(from("10.0.0.5", {{"Host", "b"}, {"X-Forwarded-Proto", "http, https"}, {"X-Forwarded-For", "6.6.6.6, 203.0.113.9"}}), proxies);
  CHECK(o.scheme == "https");
  CHECK(o.remote_address == "203.0.113.9");
}

TEST_CASE("malformed forwarded values and Host headers are not used") {
  auto o = origin_of(from("10.0.0.5", {{"Host", "b"}, {"X-Forwarded-Proto", "gopher"}, {"X-Forwarded-Host", "evil.example/path?x"}}), proxies);
  CHECK(o.base() == "http://b");
  auto bad_host = origin_of(from("192.0.2.1", {{"Host", "a b\"<script>"}}), proxies);
  CHECK(bad_host.host == "localhost");
}
