#include "onbehalf/http/return_url.hpp"

#include <catch2/catch.hpp>

using onbehalf::http::local_return_url;

TEST_CASE("local paths with queries are accepted as they are") {
  CHECK(local_return_url("/") == "/");
  CHECK(local_return_url("/profile") == "/profile");
  CHECK(local_return_url("/emails?top=10&filter=a%20b") == "/emails?top=10&filter=a%20b");
  CHECK(local_return_url("/a/b/../c#section") == "/a/b/../c#section");
}

TEST_CASE("absolute URLs to any host are refused") {
  CHECK_FALSE(local_return_url("https://evil.example/"));
  CHECK_FALSE(local_return_url("http://127.0.0.1:5000/profile"));
  CHECK_FALSE(local_return_url("javascript:alert(1)"));
  CHECK_FALSE(local_return_url("evil.example/path"));
}

TEST_CASE("protocol-relative and backslash forms are refused") {
  CHECK_FALSE(local_return_url("//evil.example"));
  CHECK_FALSE(local_return_url("/\\evil.example"));
  CHECK_FALSE(local_return_url("\\\\evil.example"));
  CHECK_FALSE(local_return_url("/path\\..\\..\\evil"));
}

TEST_CASE("control characters that browsers strip are refused") {
  CHECK_FALSE(local_return_url("/\t/evil.example"));
  CHECK_FALSE(local_return_url("/\n/evil.example"));
  CHECK_FALSE(local_return_url("/profile\r\nSet-Cookie: x=y"));
}

TEST_CASE("encoded slashes and backslashes that decode to another host are refused") {
  CHECK_FALSE(local_return_url("/%2Fevil.example"));
  CHECK_FALSE(local_return_url("/%2fevil.example"));
  CHECK_FALSE(local_return_url("/%5Cevil.example"));
  CHECK_FALSE(local_return_url("/%09/evil.example"));
  CHECK_FALSE(local_return_url("/%zz"));
}

TEST_CASE("empty and overlong return URLs are refused") {
  CHECK_FALSE(local_return_url(""));
  CHECK_FALSE(local_return_url("/" + std::string(3000, 'a')));
}
