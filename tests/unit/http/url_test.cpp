#include "onbehalf/http/client.hpp"

#include <catch2/catch.hpp>

using onbehalf::http::url;

TEST_CASE("a URL without a port gets its scheme's default port") {
  auto u = url::parse("https://graph.microsoft.com/v1.0/me?$top=10");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "graph.microsoft.com");
  CHECK(u->port == 443);
  CHECK(u->target == "/v1.0/me?$top=10");
  CHECK(url::parse("http://example.com")->port == 80);
}

TEST_CASE("an explicit port and an IPv6 literal are understood") {
  auto u = url::parse("http://127.0.0.1:5100/token");
  REQUIRE(u);
  CHECK(u->port == 5100);
  auto v6 = url::parse("http://[::1]:8080");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 8080);
  CHECK(v6->target == "/");
}

TEST_CASE("a query without a path gets the root path and a fragment is dropped") {
  CHECK(url::parse("https://a.example?x=1")->target == "/?x=1");
  CHECK(url::parse("https://a.example/p#frag")->target == "/p");
}

TEST_CASE("URLs that are not absolute http(s) URLs are refused") {
  CHECK_FALSE(url::parse("ftp://a.example/"));
  CHECK_FALSE(url::parse("/relative/path"));
  CHECK_FALSE(url::parse("https://"));
  CHECK_FALSE(url::parse("https://a.example:99999/"));
  CHECK_FALSE(url::parse("https://a.example:x/"));
  CHECK_FALSE(url::parse("https://[::1/"));
}

TEST_CASE("credentials in a URL are refused rather than risked in logs") { CHECK_FALSE(url::parse("https://user:password@a.example/")); }

TEST_CASE("the scheme is read without case, and a fragment right after the host leaves the root path") {
  auto u = url::parse("HTTPS://a.example#top");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->port == 443);
  CHECK(u->target == "/");
  CHECK(url::parse("Http://a.example/x")->scheme == "http");
  CHECK_FALSE(url::parse("httpx://a.example/"));
}
