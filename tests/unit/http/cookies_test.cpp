#include "onbehalf/http/cookies.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::http;
using namespace std::chrono_literals;

namespace {

// The request a browser sends back after receiving `set_cookie_headers`.
header_list browser_returns(const std::vector<std::string>& set_cookie_headers) {
  std::string cookies;
  for (const auto& h : set_cookie_headers) {
    if (h.find("Max-Age=0") != std::string::npos) continue;
    cookies += (cookies.empty() ? "" : "; ") + h.substr(0, h.find(';'));
  }
  header_list headers;
  headers.add("Cookie", cookies);
  return headers;
}

} // namespace

TEST_CASE("cookies are HttpOnly, SameSite=Lax and path-wide by default") { CHECK(set_cookie("s", "v", {}) == "s=v; Path=/; HttpOnly; SameSite=Lax"); }

TEST_CASE("Secure and Max-Age are added when asked for") {
  cookie_attributes a;
  a.secure = true;
  a.max_age = 3600s;
  CHECK(set_cookie("s", "v", a) == "s=v; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax");
}

TEST_CASE("an expired cookie has an empty value, Max-Age=0 and a past Expires") {
  auto h = expire_cookie("s", {});
  CHECK(h.starts_with("s=; Path=/; Max-Age=0"));
  CHECK(h.ends_with("Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
}

TEST_CASE("values a cookie cannot carry are a programming error") {
  CHECK_THROWS_AS(set_cookie("s", "a;b", {}), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("s", "a b", {}), std::invalid_argument);
  CHECK_THROWS_AS(set_cookie("a=b", "v", {}), std::invalid_argument);
}

TEST_CASE("a small value is one plain cookie") {
  auto headers = set_chunked_cookie("session", "small", {});
  REQUIRE(headers.size() == 1);
  CHECK(read_chunked_cookie(browser_returns(headers), "session") == "small");
}

TEST_CASE("a large value is split into chunks and reassembled") {
  std::string value(10000, 'x');
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = "abcdefghij"[i % 10];
  auto headers = set_chunked_cookie("session", value, {});
  REQUIRE(headers.size() == 4);
  CHECK(headers[0].starts_with("session=chunks-3;"));
  CHECK(headers[1].starts_with("sessionC1="));
  for (const auto& h : headers) CHECK(h.size() < 4096);
  auto returned = browser_returns(headers);
  CHECK(read_chunk_count(returned, "session") == 3);
  CHECK(read_chunked_cookie(returned, "session") == value);
}

TEST_CASE("a chunked cookie with a missing chunk reads as absent") {
  auto headers = set_chunked_cookie("session", std::string(9000, 'y'), {});
  headers.erase(headers.begin() + 2);
  CHECK_FALSE(read_chunked_cookie(browser_returns(headers), "session"));
}

TEST_CASE("a forged chunk count is not trusted") {
  header_list h;
  h.add("Cookie", "session=chunks-100000");
  CHECK(read_chunk_count(h, "session") == 0);
  CHECK_FALSE(read_chunked_cookie(h, "session"));
}

TEST_CASE("a value that shrinks removes the chunks it no longer needs") {
  auto big = set_chunked_cookie("session", std::string(9000, 'z'), {});
  auto previous = read_chunk_count(browser_returns(big), "session");
  auto small = set_chunked_cookie("session", "tiny", {}, previous);
  REQUIRE(small.size() == 4);
  CHECK(small[1].starts_with("sessionC1=; Path=/; Max-Age=0"));
  CHECK(small[3].starts_with("sessionC3=; Path=/; Max-Age=0"));
}

TEST_CASE("removing a chunked cookie removes every chunk") {
  auto returned = browser_returns(set_chunked_cookie("session", std::string(9000, 'w'), {}));
  auto removal = expire_chunked_cookie(returned, "session", {});
  CHECK(removal.size() == 4);
  for (const auto& h : removal) CHECK(h.find("Max-Age=0") != std::string::npos);
}
