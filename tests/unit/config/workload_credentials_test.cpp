// Binding what Kubernetes and Azure workloads configure: credentials that are not secrets in the
// file, and the environment variables the platform sets for them.
#include "../../support/temp_dir.hpp"

#include "onbehalf/config/load.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::config;
using onbehalf::testing::fake_environment;
using onbehalf::testing::temp_dir;

namespace {

std::string app_with(std::string_view credential, std::string_view more = "") {
  return R"({"AzureAd": {"Instance": "https://login.microsoftonline.com/", "TenantId": "contoso.onmicrosoft.com", "ClientId": "app-1",
             "ClientCredentials": [)" +
         std::string(credential) + R"(]}, "Onbehalf": {"Cache": {"Backend": "Memory"}})" + std::string(more) + "}";
}

load_outcome load(const std::string& json, std::initializer_list<std::string> variables = {}) {
  temp_dir dir;
  auto path = dir.write("appsettings.json", json);
  fake_environment env(variables);
  return load_settings(path, env.get());
}

std::string errors_of(const load_outcome& o) {
  std::string all;
  for (const auto& e : o.errors) all += e.to_string() + "\n";
  return all;
}

} // namespace

TEST_CASE("SignedAssertionFilePath reads SignedAssertionFileDiskPath") {
  temp_dir files;
  auto token = files.write("token", "a.b.c");
  auto o = load(app_with(R"({"SourceType": "SignedAssertionFilePath", "SignedAssertionFileDiskPath": ")" + token + "\"}"));
  INFO(errors_of(o));
  REQUIRE(o.settings);
  const auto& c = o.settings->azure_ad.client_credentials.at(0);
  CHECK(c.type == client_credential::source_type::signed_assertion_file_path);
  CHECK(c.signed_assertion_file_path == token);
}

TEST_CASE("SignedAssertionFilePath without a path uses AZURE_FEDERATED_TOKEN_FILE, as AKS workload identity sets it") {
  temp_dir files;
  auto token = files.write("token", "a.b.c");
  auto o = load(app_with(R"({"SourceType": "SignedAssertionFilePath"})"), {"AZURE_FEDERATED_TOKEN_FILE=" + token});
  INFO(errors_of(o));
  REQUIRE(o.settings);
  CHECK(o.settings->azure_ad.client_credentials.at(0).signed_assertion_file_path == token);
  CHECK(o.warnings.empty());
}

TEST_CASE("SignedAssertionFilePath with neither a path nor AZURE_FEDERATED_TOKEN_FILE is an error naming both") {
  auto o = load(app_with(R"({"SourceType": "SignedAssertionFilePath"})"));
  REQUIRE_FALSE(o.settings);
  CHECK(errors_of(o).find("AzureAd:ClientCredentials:0:SignedAssertionFileDiskPath") != std::string::npos);
  CHECK(errors_of(o).find("AZURE_FEDERATED_TOKEN_FILE") != std::string::npos);
}

TEST_CASE("SignedAssertionFromManagedIdentity reads the identity and the token exchange audience") {
  auto o = load(app_with(R"({"SourceType": "SignedAssertionFromManagedIdentity", "ManagedIdentityClientId": "mi-1"})"));
  INFO(errors_of(o));
  REQUIRE(o.settings);
  const auto& c = o.settings->azure_ad.client_credentials.at(0);
  CHECK(c.type == client_credential::source_type::signed_assertion_from_managed_identity);
  CHECK(c.managed_identity_client_id == "mi-1");
  CHECK(c.token_exchange_url == "api://AzureADTokenExchange");
}

TEST_CASE("App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER choose its managed-identity endpoint over IMDS") {
  auto o = load(app_with(R"({"SourceType": "SignedAssertionFromManagedIdentity"})"),
                {"IDENTITY_ENDPOINT=http://127.0.0.1:41741/MSI/token/", "IDENTITY_HEADER=header-value"});
  INFO(errors_of(o));
  REQUIRE(o.settings);
  CHECK(o.settings->managed_identity.identity_endpoint == "http://127.0.0.1:41741/MSI/token/");
  CHECK(o.settings->managed_identity.identity_header.reveal() == "header-value");
}

TEST_CASE("AZURE_POD_IDENTITY_AUTHORITY_HOST moves IMDS, and Onbehalf__ variables override the platform's") {
  auto o = load(app_with(R"({"SourceType": "SignedAssertionFromManagedIdentity"})"),
                {"AZURE_POD_IDENTITY_AUTHORITY_HOST=http://10.0.0.1:2377", "Onbehalf__ManagedIdentity__ImdsEndpoint=http://127.0.0.1:9"});
  REQUIRE(o.settings);
  CHECK(o.settings->managed_identity.imds_endpoint == "http://127.0.0.1:9");
  auto platform =
      load(app_with(R"({"SourceType": "SignedAssertionFromManagedIdentity"})"), {"AZURE_POD_IDENTITY_AUTHORITY_HOST=http://10.0.0.1:2377"});
  REQUIRE(platform.settings);
  CHECK(platform.settings->managed_identity.imds_endpoint == "http://10.0.0.1:2377");
}

TEST_CASE("an IdentityEndpoint without its IdentityHeader is an error naming the header") {
  auto o = load(app_with(R"({"SourceType": "SignedAssertionFromManagedIdentity"})"), {"IDENTITY_ENDPOINT=http://127.0.0.1:41741/MSI/token/"});
  REQUIRE_FALSE(o.settings);
  CHECK(errors_of(o).find("Onbehalf:ManagedIdentity:IdentityHeader") != std::string::npos);
}

TEST_CASE("a downstream API's ManagedIdentity: UserAssignedClientId, or an empty object for the system-assigned identity") {
  auto o = load(R"({"AzureAd": {"Instance": "https://login.microsoftonline.com/", "TenantId": "contoso.onmicrosoft.com", "ClientId": "app-1"},
                    "Onbehalf": {"Cache": {"Backend": "Memory"}},
                    "DownstreamApis": {
                      "Storage": {"BaseUrl": "https://s.example", "Scopes": ["https://storage.azure.com/.default"], "RequestAppToken": true,
                                  "AcquireTokenOptions": {"ManagedIdentity": {}}},
                      "Vault": {"BaseUrl": "https://v.example", "Scopes": ["https://vault.azure.net/.default"], "RequestAppToken": true,
                                "AcquireTokenOptions": {"ManagedIdentity": {"UserAssignedClientId": "mi-2"}}}}})");
  INFO(errors_of(o));
  REQUIRE(o.settings); // no client credential needed: every API uses a managed identity
  CHECK(o.settings->find_downstream_api("Storage")->token_options.managed_identity == std::optional<std::string>(""));
  CHECK(o.settings->find_downstream_api("Vault")->token_options.managed_identity == std::optional<std::string>("mi-2"));
  CHECK(o.warnings.empty());
}

TEST_CASE("HTTPS_PROXY and NO_PROXY, as containers and CI machines set them, become Onbehalf:Proxy") {
  auto o = load(app_with(R"({"SourceType": "ClientSecret", "ClientSecret": "s"})"),
                {"https_proxy=http://lower.internal:1", "HTTPS_PROXY=http://egress.internal:3128", "NO_PROXY=localhost,.corp.example, 10.0.0.1"});
  INFO(errors_of(o));
  REQUIRE(o.settings);
  CHECK(o.settings->host.proxy.address == "http://egress.internal:3128");
  CHECK(o.settings->host.proxy.bypass == std::vector<std::string>{"localhost", ".corp.example", "10.0.0.1"});
}

TEST_CASE("Onbehalf:Proxy in a file: an address and a Bypass list") {
  auto o = load(R"({"AzureAd": {"Instance": "https://login.microsoftonline.com/", "TenantId": "contoso.onmicrosoft.com", "ClientId": "app-1",
                                "ClientCredentials": [{"SourceType": "ClientSecret", "ClientSecret": "s"}]},
                    "Onbehalf": {"Cache": {"Backend": "Memory"}, "Proxy": {"Address": "http://egress:3128", "Bypass": ["a.example"]}}})");
  INFO(errors_of(o));
  REQUIRE(o.settings);
  CHECK(o.settings->host.proxy.bypass == std::vector<std::string>{"a.example"});
}
