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
  CHECK(error_for(
            R"({"issuer": "i", "authorization_endpoint": "http://login.example.com/a", "token_endpoint": "https://a/t", "jwks_uri": "https://a/k"})")
            .find("must be an https URL") != std::string::npos);
  CHECK(parse_provider_metadata(
      R"({"issuer": "i", "authorization_endpoint": "http://127.0.0.1:5100/a", "token_endpoint": "http://localhost:5100/t", "jwks_uri": "http://127.0.0.1/k"})"));
  CHECK_FALSE(parse_provider_metadata(
      R"({"issuer": "i", "authorization_endpoint": "http://127.0.0.1.evil.com/a", "token_endpoint": "https://a/t", "jwks_uri": "https://a/k"})"));
}

TEST_CASE("a discovery document that is not JSON is an error") {
  CHECK(error_for("<html>Service Unavailable</html>").find("not valid JSON") != std::string::npos);
  CHECK(error_for("[]").find("not a JSON object") != std::string::npos);
}

TEST_CASE("a discovery document's issuer must be the authority it was read from") {
  // Any OpenID provider: the same URL, a trailing slash and the host's case aside.
  CHECK(issuer_belongs_to_authority("https://auth.example.com/realms/a", "https://auth.example.com/realms/a/"));
  CHECK(issuer_belongs_to_authority("http://127.0.0.1:5300", "http://127.0.0.1:5300"));
  CHECK(issuer_belongs_to_authority("https://Auth.Example.com", "https://auth.example.com"));
  for (std::string other : {"https://evil.example/realms/a", "https://auth.example.com/realms/b", "http://auth.example.com/realms/a",
                            "https://auth.example.com:8443/realms/a", "https://auth.example.com/realms/a/v2.0", "not a url", ""}) {
    INFO(other);
    CHECK_FALSE(issuer_belongs_to_authority(other, "https://auth.example.com/realms/a"));
  }
}

TEST_CASE("an Entra issuer names the tenant's id where the authority names a domain, common or a B2C policy") {
  CHECK(issuer_belongs_to_authority("https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/common/v2.0"));
  CHECK(issuer_belongs_to_authority("https://login.microsoftonline.com/7c9a0b1e/v2.0", "https://login.microsoftonline.com/contoso.com/v2.0"));
  CHECK(issuer_belongs_to_authority("https://contoso.b2clogin.com/775527ff/v2.0/",
                                    "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_susi/v2.0"));
  CHECK(issuer_belongs_to_authority("https://7c9a.ciamlogin.com/7c9a/v2.0", "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0"));
  // The same shapes on another host are another authority's.
  CHECK_FALSE(issuer_belongs_to_authority("https://evil.example/{tenantid}/v2.0", "https://login.microsoftonline.com/common/v2.0"));
  CHECK_FALSE(issuer_belongs_to_authority("https://evil.ciamlogin.com/7c9a/v2.0", "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/v2.0"));
  CHECK_FALSE(issuer_belongs_to_authority("https://login.microsoftonline.com/a/b/v2.0", "https://login.microsoftonline.com/common/v2.0"));
  // An authority that is not Entra-shaped gets no such leeway.
  CHECK_FALSE(issuer_belongs_to_authority("https://auth.example.com/7c9a/v2.0", "https://auth.example.com/realms/a"));
}

TEST_CASE("an authorization response names its issuer when the authority says it does, and only this sign-in's") {
  provider_metadata plain{.issuer = "https://auth.example.com"};
  CHECK_FALSE(authorization_response_issuer_problem(plain, std::nullopt));
  CHECK_FALSE(authorization_response_issuer_problem(plain, "https://auth.example.com"));
  auto other = authorization_response_issuer_problem(plain, "https://evil.example");
  REQUIRE(other);
  CHECK(other->find("\"https://evil.example\"") != std::string::npos);
  auto rfc9207 = plain;
  rfc9207.authorization_response_iss_parameter_supported = true;
  REQUIRE(authorization_response_issuer_problem(rfc9207, std::nullopt));
  CHECK_FALSE(authorization_response_issuer_problem(rfc9207, "https://auth.example.com"));
  provider_metadata entra{.issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"};
  CHECK_FALSE(authorization_response_issuer_problem(entra, "https://login.microsoftonline.com/7c9a/v2.0"));
  CHECK(authorization_response_issuer_problem(entra, "https://login.microsoftonline.com/7c9a/x/v2.0"));
  CHECK(authorization_response_issuer_problem(entra, "https://login.microsoftonline.com//v2.0"));
}

TEST_CASE("the metadata says whether authorization responses name their issuer") {
  auto m =
      parse_provider_metadata(R"({"issuer": "i", "authorization_endpoint": "https://a/a", "token_endpoint": "https://a/t", "jwks_uri": "https://a/k",
                                       "authorization_response_iss_parameter_supported": true})");
  REQUIRE(m);
  CHECK(m->authorization_response_iss_parameter_supported);
}
