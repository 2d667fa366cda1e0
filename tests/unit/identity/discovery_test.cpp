#include "onbehalf/identity/discovery.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::identity;

namespace {
const std::string entra_common = R"({
  "token_endpoint": "https://login.microsoftonline.com/common/oauth2/v2.0/token",
  "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
  "jwks_uri": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
  "response_modes_supported": ["query", "fragment", "form_post"],
  "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
  "authorization_endpoint": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
  "end_session_endpoint": "https://login.microsoftonline.com/common/oauth2/v2.0/logout",
  "request_uri_parameter_supported": false
})";

std::string error_for(const std::string& json) {
  auto m = parse_provider_metadata(json);
  REQUIRE_FALSE(m);
  return m.error();
}
} // namespace

TEST_CASE("Entra's multi-tenant discovery document is read with its issuer template") {
  auto m = parse_provider_metadata(entra_common);
  REQUIRE(m);
  CHECK(m->issuer == "https://login.microsoftonline.com/{tenantid}/v2.0");
  CHECK(m->token_endpoint == "https://login.microsoftonline.com/common/oauth2/v2.0/token");
  CHECK(m->end_session_endpoint == "https://login.microsoftonline.com/common/oauth2/v2.0/logout");
  CHECK(m->response_modes_supported.size() == 3);
  CHECK(m->token_endpoint_auth_methods_supported[1] == "private_key_jwt");
}

TEST_CASE("a discovery document without a required member names it") {
  for (std::string member : {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"}) {
    auto json = entra_common;
    auto at = json.find("\"" + member + "\"");
    json.replace(at, member.size() + 2, "\"x-" + member + "\"");
    CHECK(error_for(json).find("no \"" + member + "\"") != std::string::npos);
  }
}

TEST_CASE("a discovery member of the wrong type is an error, not a crash") {
  CHECK(error_for(R"({"issuer": 42, "authorization_endpoint": "https://a/x", "token_endpoint": "https://a/t", "jwks_uri": "https://a/k"})")
            .find("\"issuer\" string") != std::string::npos);
}

TEST_CASE("endpoints over plain http are refused except on loopback") {
  CHECK(error_for(R"({"issuer": "i", "authorization_endpoint": "http://login.example.com/a", "token_endpoint": "https://a/t", "jwks_uri": "https://a/k"})")
            .find("must be an https URL") != std::string::npos);
  CHECK(parse_provider_metadata(R"({"issuer": "i", "authorization_endpoint": "http://127.0.0.1:5100/a", "token_endpoint": "http://localhost:5100/t", "jwks_uri": "http://127.0.0.1/k"})"));
  CHECK_FALSE(parse_provider_metadata(R"({"issuer": "i", "authorization_endpoint": "http://127.0.0.1.evil.com/a", "token_endpoint": "https://a/t", "jwks_uri": "https://a/k"})"));
}

TEST_CASE("a discovery document that is not JSON is an error") {
  CHECK(error_for("<html>Service Unavailable</html>").find("not valid JSON") != std::string::npos);
  CHECK(error_for("[]").find("not a JSON object") != std::string::npos);
}
