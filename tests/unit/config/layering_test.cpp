#include "../../support/temp_dir.hpp"

#include "onbehalf/config/load.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::config;
using onbehalf::testing::fake_environment;
using onbehalf::testing::temp_dir;

namespace {

const std::string base_file = R"({
  "AzureAd": {
    "Instance": "https://login.microsoftonline.com/",
    "TenantId": "contoso.onmicrosoft.com",
    "ClientId": "from-base-file",
    "ClientCredentials": [ { "SourceType": "ClientSecret", "ClientSecret": "base-secret-value" } ]
  },
  "DownstreamApis": {
    "MyAPI": { "BaseUrl": "https://api.example.com", "Scopes": ["api://my/read", "api://my/write"] }
  },
  "Onbehalf": { "Port": 5000, "Cache": { "Backend": "Memory" } }
})";

std::string shown(const load_outcome& o, std::string_view key) {
  for (const auto& v : o.effective)
    if (v.key == key) return v.shown + " @ " + v.origin;
  return "(not used)";
}

} // namespace

TEST_CASE("the environment-specific file overrides the base file key by key") {
  temp_dir dir;
  auto path = dir.write("appsettings.json", base_file);
  dir.write("appsettings.Development.json", R"({"Onbehalf": {"Port": 6000}})");
  fake_environment env{"ONBEHALF_ENVIRONMENT=Development"};
  auto o = load_settings(path, env.get());
  REQUIRE(o.settings);
  CHECK(o.settings->host.port == 6000);
  CHECK(o.settings->azure_ad.client_id == "from-base-file");
}

TEST_CASE("without ONBEHALF_ENVIRONMENT no environment-specific file is read") {
  temp_dir dir;
  auto path = dir.write("appsettings.json", base_file);
  dir.write("appsettings.Development.json", R"({"Onbehalf": {"Port": 6000}})");
  fake_environment env{};
  auto o = load_settings(path, env.get());
  REQUIRE(o.settings);
  CHECK(o.settings->host.port == 5000);
}

TEST_CASE("environment variables override both files") {
  temp_dir dir;
  auto path = dir.write("appsettings.json", base_file);
  dir.write("appsettings.Production.json", R"({"Onbehalf": {"Port": 6000}})");
  fake_environment env{"ONBEHALF_ENVIRONMENT=Production", "Onbehalf__Port=7000", "AzureAd__ClientId=from-env"};
  auto o = load_settings(path, env.get());
  REQUIRE(o.settings);
  CHECK(o.settings->host.port == 7000);
  CHECK(o.settings->azure_ad.client_id == "from-env");
  CHECK(shown(o, "AzureAd:ClientId") == "from-env @ environment variable AzureAd__ClientId");
}

TEST_CASE("environment variables address array elements by index") {
  temp_dir dir;
  auto path = dir.write("appsettings.json", base_file);
  fake_environment env{"DownstreamApis__MyAPI__Scopes__1=api://my/admin", "DownstreamApis__MyAPI__Scopes__2=api://my/extra"};
  auto o = load_settings(path, env.get());
  REQUIRE(o.settings);
  auto& scopes = o.settings->downstream_apis.at(0).scopes;
  CHECK(scopes == std::vector<std::string>{"api://my/read", "api://my/admin", "api://my/extra"});
}

TEST_CASE("environment variable names match keys without regard to case") {
  temp_dir dir;
  auto path = dir.write("appsettings.json", base_file);
  fake_environment env{"AZUREAD__CLIENTID=shouting"};
  auto o = load_settings(path, env.get());
  REQUIRE(o.settings);
  CHECK(o.settings->azure_ad.client_id == "shouting");
}

TEST_CASE("a malformed environment-specific file is an error naming that file") {
  temp_dir dir;
  auto path = dir.write("appsettings.json", base_file);
  auto bad = dir.write("appsettings.Staging.json", "{\"Onbehalf\": {\"Port\": }}");
  fake_environment env{"ONBEHALF_ENVIRONMENT=Staging"};
  auto o = load_settings(path, env.get());
  REQUIRE_FALSE(o.settings);
  REQUIRE(o.errors.size() == 1);
  CHECK(o.errors[0].source.origin == bad);
  CHECK(o.errors[0].source.line == 1);
}

TEST_CASE("a missing configuration file is an error naming the file") {
  fake_environment env{};
  auto o = load_settings("/nonexistent/appsettings.json", env.get());
  REQUIRE(o.errors.size() == 1);
  CHECK(o.errors[0].to_string().find("/nonexistent/appsettings.json: cannot open") == 0);
}

TEST_CASE("the effective configuration masks secrets and says where each value came from") {
  temp_dir dir;
  auto path = dir.write("appsettings.json", base_file);
  fake_environment env{};
  auto o = load_settings(path, env.get());
  REQUIRE(o.settings);
  CHECK(shown(o, "AzureAd:ClientCredentials:0:ClientSecret") == "**** @ " + path + ":6:76");
  CHECK(shown(o, "AzureAd:CallbackPath") == "/signin-oidc @ default");
  for (const auto& v : o.effective) CHECK(v.shown.find("base-secret-value") == std::string::npos);
  CHECK(o.settings->azure_ad.client_credentials.at(0).client_secret.reveal() == "base-secret-value");
}
