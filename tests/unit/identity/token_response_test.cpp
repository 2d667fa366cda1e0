#include "onbehalf/identity/token_response.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::identity;
using namespace std::chrono_literals;

namespace {

token_failure failed(unsigned status, std::string_view body, std::string_view retry_after = {}) {
  auto r = read_token_response(status, body, retry_after);
  REQUIRE_FALSE(r);
  return r.error();
}

std::string entra_error(std::string error, long code, std::string extra = {}) {
  return R"({"error":")" + error + R"(","error_description":"AADSTS)" + std::to_string(code) + R"(: something.","error_codes":[)" +
         std::to_string(code) + R"(],"correlation_id":"corr-9")" + extra + "}";
}

} // namespace

TEST_CASE("a successful token response yields every token and lifetime") {
  auto r = read_token_response(200, R"({"token_type":"Bearer","scope":"user.read mail.read","expires_in":3599,
      "ext_expires_in":3599,"refresh_in":1800,"access_token":"at-1","refresh_token":"rt-1","id_token":"it-1","client_info":"ci"})");
  REQUIRE(r);
  CHECK(r->access_token.reveal() == "at-1");
  CHECK(r->refresh_token.reveal() == "rt-1");
  CHECK(r->id_token == "it-1");
  CHECK(r->scopes == std::vector<std::string>{"user.read", "mail.read"});
  CHECK(r->expires_in == 3599s);
  CHECK(r->refresh_in == 1800s);
}

TEST_CASE("expires_in sent as a string of digits is understood") {
  auto r = read_token_response(200, R"({"access_token":"at","expires_in":"3600","token_type":"Bearer"})");
  REQUIRE(r);
  CHECK(r->expires_in == 3600s);
  CHECK_FALSE(r->refresh_in);
}

TEST_CASE("a lifetime too long for the clock is read as a year, not as an overflow") {
  auto r =
      read_token_response(200, R"({"access_token":"at","expires_in":9223372036854775807,"refresh_in":"18446744073709551615","token_type":"Bearer"})");
  REQUIRE(r);
  CHECK(r->expires_in == longest_token_lifetime);
  auto now = std::chrono::system_clock::now();
  CHECK(now + r->expires_in > now); // the sum the token cache makes stays in range
}

TEST_CASE("a success without an access token or lifetime is an invalid response") {
  CHECK(failed(200, R"({"expires_in":3600})").kind == failure_kind::invalid_response);
  CHECK(failed(200, R"({"access_token":"at"})").description.find("expires_in") != std::string::npos);
  CHECK(failed(200, R"({"access_token":"at","expires_in":-5})").kind == failure_kind::invalid_response);
}

TEST_CASE("members of the wrong JSON type are an invalid response, not a crash") {
  CHECK(failed(200, R"({"access_token":42,"expires_in":3600})").description.find("\"access_token\" is not a string") != std::string::npos);
  CHECK(failed(200, R"({"access_token":"at","expires_in":3600,"refresh_token":["x"]})").description.find("refresh_token") != std::string::npos);
  CHECK(failed(200, R"({"access_token":"at","expires_in":{}})").kind == failure_kind::invalid_response);
}

TEST_CASE("a reply that is not JSON is an invalid response on success and a service error on 5xx") {
  CHECK(failed(200, "<html>").kind == failure_kind::invalid_response);
  CHECK(failed(503, "<html>Service Unavailable</html>").kind == failure_kind::service_error);
}

TEST_CASE("AADSTS65001 means the user must consent") {
  auto f = failed(400, entra_error("invalid_grant", 65001));
  CHECK(f.kind == failure_kind::interaction_required);
  CHECK(f.reason == interaction_reason::consent_required);
  CHECK(f.correlation_id == "corr-9");
}

TEST_CASE("AADSTS50076 and AADSTS50079 mean MFA is required, with the claims challenge kept") {
  auto f =
      failed(400, entra_error("invalid_grant", 50076,
                              R"(,"suberror":"basic_action","claims":"{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"p1\"]}}}")"));
  CHECK(f.kind == failure_kind::interaction_required);
  CHECK(f.reason == interaction_reason::mfa_required);
  CHECK(f.claims == R"({"access_token":{"capolids":{"essential":true,"values":["p1"]}}})");
  CHECK(failed(400, entra_error("interaction_required", 50079)).reason == interaction_reason::mfa_required);
}

TEST_CASE("an expired or revoked refresh token means the user must sign in again") {
  CHECK(failed(400, entra_error("invalid_grant", 700082)).reason == interaction_reason::refresh_token_expired);
  CHECK(failed(400, entra_error("invalid_grant", 50173)).reason == interaction_reason::refresh_token_expired);
}

TEST_CASE("the standard OAuth interaction errors map without Entra codes") {
  CHECK(failed(400, R"({"error":"consent_required"})").reason == interaction_reason::consent_required);
  CHECK(failed(400, R"({"error":"login_required"})").reason == interaction_reason::login_required);
  CHECK(failed(400, R"({"error":"interaction_required"})").reason == interaction_reason::login_required);
  CHECK(failed(400, R"({"error":"invalid_grant","error_description":"grant request is invalid"})").kind == failure_kind::interaction_required);
}

TEST_CASE("an interaction error carrying claims and no known code is a claims challenge") {
  auto f = failed(400, R"({"error":"interaction_required","claims":"{\"id_token\":{\"acr\":{\"essential\":true}}}"})");
  CHECK(f.reason == interaction_reason::claims_challenge);
  CHECK(f.claims == R"({"id_token":{"acr":{"essential":true}}})");
}

TEST_CASE("an AADSTS code only in the description is still recognised") {
  auto f = failed(400, R"({"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented."})");
  CHECK(f.has_code(65001));
  CHECK(f.reason == interaction_reason::consent_required);
}

TEST_CASE("a rejected client credential is a configuration error naming AzureAd:ClientCredentials") {
  auto f = failed(401, entra_error("invalid_client", 7000215));
  CHECK(f.kind == failure_kind::configuration_error);
  CHECK(f.config_key == "AzureAd:ClientCredentials");
  CHECK(f.message().find("check AzureAd:ClientCredentials") != std::string::npos);
  CHECK(failed(401, R"({"error":"invalid_client"})").config_key == "AzureAd:ClientCredentials");
}

TEST_CASE("an unknown application or tenant names the key to fix") {
  CHECK(failed(400, entra_error("unauthorized_client", 700016)).config_key == "AzureAd:ClientId");
  CHECK(failed(400, entra_error("invalid_request", 90002)).config_key == "AzureAd:TenantId");
  CHECK(failed(400, entra_error("invalid_request", 50011)).config_key == "AzureAd:CallbackPath");
  CHECK(failed(400, R"({"error":"invalid_scope"})").kind == failure_kind::configuration_error);
}

TEST_CASE("429 is a service error that carries Retry-After") {
  auto f = failed(429, R"({"error":"temporarily_unavailable"})", "30");
  CHECK(f.kind == failure_kind::service_error);
  REQUIRE(f.retry_after);
  CHECK(*f.retry_after == 30s);
  CHECK(f.message().find("retry after 30 s") != std::string::npos);
}

TEST_CASE("a 5xx with an unknown error is a service error") { CHECK(failed(500, R"({"error":"server_error"})").kind == failure_kind::service_error); }

TEST_CASE("an unreachable authority is a network error that says why") {
  auto f = network_failure("connection refused by 127.0.0.1:5100");
  CHECK(f.kind == failure_kind::network_error);
  CHECK(f.message().find("connection refused") != std::string::npos);
}

TEST_CASE("a refresh grant's invalid_scope (RFC 6749 section 6, as oidc-provider answers) is a consent the user can give") {
  auto r = read_token_response(400, R"({"error":"invalid_scope","error_description":"refresh token missing requested scope"})");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == failure_kind::configuration_error); // as any grant reads it
  auto refresh = as_refresh_failure(r.error());
  CHECK(refresh.kind == failure_kind::interaction_required);
  CHECK(refresh.reason == interaction_reason::consent_required);
  auto entra = read_token_response(
      400, R"({"error":"invalid_scope","error_codes":[70011],"error_description":"AADSTS70011: The provided value for scope is not valid."})");
  CHECK(as_refresh_failure(entra.error()).kind == failure_kind::configuration_error); // Entra's own code says what it is
}
