#include "onbehalf/http/www_authenticate.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::http;

TEST_CASE("WWW-Authenticate: RFC 7235's example of two challenges in one header") {
  auto c = parse_www_authenticate(R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")");
  REQUIRE(c.size() == 2);
  CHECK(c[0].scheme == "Newauth");
  CHECK(c[0].param("realm") == "apps");
  CHECK(c[0].param("type") == "1");
  CHECK(c[0].param("title") == "Login to \"apps\"");
  CHECK(c[1].scheme == "Basic");
  CHECK(c[1].param("realm") == "simple");
}

TEST_CASE("WWW-Authenticate: a continuous access evaluation challenge keeps its base64 claims whole") {
  auto c = parse_www_authenticate(
      R"(Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0=")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].param("error") == "insufficient_claims");
  CHECK(c[0].param("claims") == "eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0=");
}

TEST_CASE("WWW-Authenticate: parameter names compare without case, values keep theirs") {
  auto c = parse_www_authenticate(R"(bearer ERROR="insufficient_scope", Scope="Mail.Send Mail.Read")");
  REQUIRE(c.size() == 1);
  CHECK(c[0].param("error") == "insufficient_scope");
  CHECK(c[0].param("scope") == "Mail.Send Mail.Read");
}

TEST_CASE("WWW-Authenticate: token68 credentials, bare schemes and empty list elements") {
  auto c = parse_www_authenticate(R"(Negotiate, , Basic YWxhZGRpbjpvcGVuc2VzYW1l==, Bearer realm=api)");
  REQUIRE(c.size() == 3);
  CHECK(c[0].scheme == "Negotiate");
  CHECK(c[0].params.empty());
  CHECK(c[1].token68 == "YWxhZGRpbjpvcGVuc2VzYW1l==");
  CHECK(c[2].param("realm") == "api");
}

TEST_CASE("WWW-Authenticate: challenges from several headers are all read") {
  header_list h;
  h.add("WWW-Authenticate", R"(Basic realm="legacy")");
  h.add("Content-Type", "application/json");
  h.add("www-authenticate", R"(Bearer error="invalid_token", error_description="The token expired")");
  auto c = www_authenticate_challenges(h);
  REQUIRE(c.size() == 2);
  CHECK(c[1].param("error_description") == "The token expired");
}

TEST_CASE("WWW-Authenticate: malformed input keeps what came before and guesses nothing after") {
  CHECK(parse_www_authenticate("").empty());
  CHECK(parse_www_authenticate("   ").empty());
  CHECK(parse_www_authenticate("\"quoted\"").empty());
  auto unterminated = parse_www_authenticate(R"(Bearer realm="api", error="never closed)");
  REQUIRE(unterminated.size() == 1);
  CHECK(unterminated[0].param("realm") == "api");
  CHECK_FALSE(unterminated[0].param("error"));
  auto garbage = parse_www_authenticate(R"(Bearer realm="api" trailing junk, Basic realm="x")");
  REQUIRE(garbage.size() == 1);
  CHECK(garbage[0].param("realm") == "api");
  for (std::string_view nasty : {"=", "Bearer =", "Bearer a=\"\\", ",,,", "Bearer a=b,=c", "\x01\x02", "Bearer a=\"b\"\"c\""}) {
    INFO(nasty);
    CHECK_NOTHROW(parse_www_authenticate(nasty));
  }
}

TEST_CASE("a quoted-string this server writes escapes quotes and backslashes, and reads back as it was") {
  CHECK(quoted_string("user.read mail.read") == "\"user.read mail.read\"");
  CHECK(quoted_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(quoted_string("line\r\nbreak\x7f") == "\"linebreak\"");
  for (std::string_view value : {"plain", "a\"b", "back\\slash", "\", authorization_uri=\"https://evil.example", ""}) {
    INFO(value);
    auto challenges = parse_www_authenticate("OpenIdConnect scope=" + quoted_string(value) + ", error=\"consent_required\"");
    REQUIRE(challenges.size() == 1);
    CHECK(challenges[0].param("scope") == value);
    CHECK(challenges[0].param("error") == "consent_required");
    CHECK_FALSE(challenges[0].param("authorization_uri"));
  }
}
