#include "onbehalf/identity/managed_identity.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::identity;

namespace {

std::string header_of(const token_http_request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

} // namespace

TEST_CASE("IMDS is asked with GET, the Metadata header, the resource without /.default and a user-assigned client_id") {
  auto r = managed_identity_request({}, "api://todo/.default", "mi-1");
  CHECK(r.method == "GET");
  CHECK(r.url == "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api%3A%2F%2Ftodo&client_id=mi-1");
  CHECK(header_of(r, "Metadata") == "true");
  CHECK(r.body.empty());
}

TEST_CASE("App Service's endpoint is asked with its identity header, and no client_id for the system-assigned identity") {
  managed_identity_endpoint e;
  e.identity_endpoint = "http://127.0.0.1:41741/MSI/token/";
  e.identity_header = secret("h-1");
  auto r = managed_identity_request(e, "https://vault.azure.net", "");
  CHECK(r.url == "http://127.0.0.1:41741/MSI/token/?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net");
  CHECK(header_of(r, "X-IDENTITY-HEADER") == "h-1");
  CHECK(header_of(r, "Metadata").empty());
}

TEST_CASE("a managed-identity answer's lifetime comes from expires_on, sent as a string") {
  auto t =
      read_managed_identity_response(200, R"({"access_token":"a.b.c","expires_on":"1800003600","resource":"x","token_type":"Bearer"})", "", now, "k");
  REQUIRE(t);
  CHECK(t->access_token.reveal() == "a.b.c");
  CHECK(t->expires_in == std::chrono::seconds(3600));
}

TEST_CASE("a managed-identity answer with only expires_in is read too") {
  auto t = read_managed_identity_response(200, R"({"access_token":"a.b.c","expires_in":"86399"})", "", now, "k");
  REQUIRE(t);
  CHECK(t->expires_in == std::chrono::seconds(86399));
}

TEST_CASE("a managed-identity answer's times are clamped: no number overflows the clock") {
  auto far = read_managed_identity_response(200, R"({"access_token":"a.b.c","expires_on":"9223372036854775807"})", "", now, "k");
  REQUIRE(far);
  CHECK(far->expires_in == longest_token_lifetime);
  auto past = read_managed_identity_response(200, R"({"access_token":"a.b.c","expires_on":"-9223372036854775807"})", "", now, "k");
  REQUIRE_FALSE(past);
  CHECK(past.error().kind == failure_kind::invalid_response);
}

TEST_CASE("an identity the endpoint does not know is a configuration error naming the setting") {
  auto f = read_managed_identity_response(400, R"({"error":"invalid_request","error_description":"Identity not found"})", "", now,
                                          "AzureAd:ClientCredentials:0:ManagedIdentityClientId");
  REQUIRE_FALSE(f);
  CHECK(f.error().kind == failure_kind::configuration_error);
  CHECK(f.error().message().find("AzureAd:ClientCredentials:0:ManagedIdentityClientId") != std::string::npos);
  CHECK(f.error().message().find("Identity not found") != std::string::npos);
}

TEST_CASE("a busy managed-identity endpoint is a service error with its Retry-After") {
  auto f = read_managed_identity_response(429, R"({"error":"too_many_requests"})", "7", now, "k");
  REQUIRE_FALSE(f);
  CHECK(f.error().kind == failure_kind::service_error);
  CHECK(f.error().retry_after == std::chrono::seconds(7));
}
