#include "../../support/temp_dir.hpp"

#include "onbehalf/config/load.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::config;

namespace {

// A valid configuration with one section replaced or added, so each test states only what it breaks.
load_outcome bind_with(std::string_view azure_ad, std::string_view rest = R"("Onbehalf": {"Cache": {"Backend": "Memory"}})") {
  std::string json = "{\"AzureAd\": " + std::string(azure_ad) + (rest.empty() ? "" : ", ") + std::string(rest) + "}";
  configuration c;
  auto parsed = parse_json_layer(json, "appsettings.json", c);
  REQUIRE(parsed);
  return bind_settings(c);
}

const std::string good_azure_ad =
    R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common", "ClientId": "app-1",
        "ClientCredentials": [{"SourceType": "ClientSecret", "ClientSecret": "s3cret-value"}]})";

load_outcome bind_host(std::string_view onbehalf_section) { return bind_with(good_azure_ad, "\"Onbehalf\": " + std::string(onbehalf_section)); }

load_outcome bind_api(std::string_view api) {
  return bind_with(good_azure_ad, R"("Onbehalf": {"Cache": {"Backend": "Memory"}}, "DownstreamApis": {"MyAPI": )" + std::string(api) + "}");
}

// The message of the one error about `key`; fails the test when there is none.
std::string error_about(const load_outcome& o, std::string_view key) {
  for (const auto& e : o.errors)
    if (e.key == key) return e.message;
  std::string all;
  for (const auto& e : o.errors) all += e.to_string() + "\n";
  FAIL("no error about " << key << "; errors were:\n" << all);
  return {};
}

std::string warning_about(const load_outcome& o, std::string_view key) {
  for (const auto& w : o.warnings)
    if (w.key == key) return w.message;
  FAIL("no warning about " << key);
  return {};
}

} // namespace

TEST_CASE("a complete configuration binds with the documented defaults") {
  auto o = bind_with(good_azure_ad);
  REQUIRE(o.errors.empty());
  REQUIRE(o.settings);
  const auto& s = *o.settings;
  CHECK(s.azure_ad.client_id == "app-1");
  CHECK(s.azure_ad.callback_path == "/signin-oidc");
  CHECK(s.azure_ad.signed_out_callback_path == "/signout-callback-oidc");
  CHECK(s.azure_ad.effective_authority() == "https://login.microsoftonline.com/common/v2.0");
  CHECK(s.host.listen_address == "127.0.0.1");
  CHECK(s.host.port == 5000);
  CHECK(s.host.limits.max_request_header_bytes == 32 * 1024);
  CHECK(o.warnings.empty());
}

TEST_CASE("a missing ClientId is an error naming AzureAd:ClientId") {
  auto o = bind_with(R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common"})");
  CHECK_FALSE(o.settings);
  CHECK(error_about(o, "AzureAd:ClientId").find("is required") == 0);
}

TEST_CASE("neither Instance nor Authority is an error that offers both") {
  auto o = bind_with(R"({"ClientId": "app"})");
  CHECK(error_about(o, "AzureAd:Instance").find("AzureAd:Authority") != std::string::npos);
}

TEST_CASE("a web API's on-behalf-of grant is Entra's jwt-bearer unless OnBehalfOfGrant names RFC 8693's token exchange") {
  auto entra = bind_with(good_azure_ad);
  REQUIRE(entra.settings);
  CHECK(entra.settings->azure_ad.on_behalf_of_grant == "JwtBearer");
  auto other = bind_with(R"({"Authority": "https://id.example.com", "ClientId": "api-1", "OnBehalfOfGrant": "TokenExchange"})");
  REQUIRE(other.settings);
  CHECK(other.settings->azure_ad.on_behalf_of_grant == "TokenExchange");
  auto wrong = bind_with(R"({"Authority": "https://id.example.com", "ClientId": "api-1", "OnBehalfOfGrant": "OBO"})");
  CHECK(error_about(wrong, "AzureAd:OnBehalfOfGrant").find("TokenExchange") != std::string::npos);
}

TEST_CASE("Instance without TenantId is an error naming AzureAd:TenantId") {
  auto o = bind_with(R"({"ClientId": "app", "Instance": "https://login.microsoftonline.com/"})");
  CHECK(error_about(o, "AzureAd:TenantId").find("common") != std::string::npos);
}

TEST_CASE("Authority alone serves any OpenID provider") {
  auto o = bind_with(R"({"ClientId": "app", "Authority": "https://accounts.example.org/realms/x"})");
  REQUIRE(o.settings);
  CHECK(o.settings->azure_ad.effective_authority() == "https://accounts.example.org/realms/x");
}

TEST_CASE("plain http is refused for a remote authority and allowed on loopback") {
  auto remote = bind_with(R"({"ClientId": "app", "Authority": "http://login.example.com/"})");
  CHECK(error_about(remote, "AzureAd:Authority").find("https://") != std::string::npos);
  auto local = bind_with(R"({"ClientId": "app", "Authority": "http://127.0.0.1:5100/tenant/v2.0"})");
  CHECK(local.errors.empty());
}

TEST_CASE("an Instance that is not a URL is an error quoting the value") {
  auto o = bind_with(R"({"ClientId": "app", "Instance": "login.microsoftonline.com", "TenantId": "t"})");
  CHECK(error_about(o, "AzureAd:Instance").find("'login.microsoftonline.com'") != std::string::npos);
}

TEST_CASE("a CallbackPath without a leading slash is an error") {
  auto o = bind_with(R"({"ClientId": "app", "Authority": "https://a.example/", "CallbackPath": "signin-oidc"})");
  CHECK(error_about(o, "AzureAd:CallbackPath").find("starting with '/'") != std::string::npos);
}

TEST_CASE("B2C settings give the user-flow authority") {
  auto o = bind_with(R"({"ClientId": "app", "Instance": "https://contoso.b2clogin.com/", "Domain": "contoso.onmicrosoft.com",
                          "SignUpSignInPolicyId": "b2c_1_susi"})");
  REQUIRE(o.settings);
  CHECK(o.settings->azure_ad.effective_authority() == "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/b2c_1_susi/v2.0");
}

TEST_CASE("an unsupported credential SourceType is an error listing the supported ones") {
  auto o = bind_with(R"({"ClientId": "app", "Authority": "https://a.example/", "ClientCredentials": [{"SourceType": "KeyVault"}]})");
  CHECK(error_about(o, "AzureAd:ClientCredentials:0:SourceType")
            .find("ClientSecret, Path, Base64Encoded, SignedAssertionFilePath or SignedAssertionFromManagedIdentity") != std::string::npos);
}

TEST_CASE("a ClientSecret credential without its secret is an error") {
  auto o = bind_with(R"({"ClientId": "app", "Authority": "https://a.example/", "ClientCredentials": [{"SourceType": "ClientSecret"}]})");
  CHECK(error_about(o, "AzureAd:ClientCredentials:0:ClientSecret").find("is required") == 0);
}

TEST_CASE("in a chain of credentials, a certificate file that cannot be read is a warning: the next one will be used") {
  auto o = bind_with(R"({"ClientId": "app", "Authority": "https://a.example/",
                          "ClientCredentials": [{"SourceType": "Path", "CertificateDiskPath": "/no/such/cert.pfx"},
                                                {"SourceType": "ClientSecret", "ClientSecret": "s3cret"}]})");
  CHECK(o.settings);
  CHECK(warning_about(o, "AzureAd:ClientCredentials:0:CertificateDiskPath").find("the next credential will be used") != std::string::npos);
}

TEST_CASE("a certificate credential whose file cannot be read is an error naming the file") {
  auto o = bind_with(R"({"ClientId": "app", "Authority": "https://a.example/",
                          "ClientCredentials": [{"SourceType": "Path", "CertificateDiskPath": "/no/such/cert.pfx"}]})");
  CHECK(error_about(o, "AzureAd:ClientCredentials:0:CertificateDiskPath").find("/no/such/cert.pfx") != std::string::npos);
}

TEST_CASE("the older AzureAd:ClientSecret key still provides a credential") {
  auto o = bind_with(R"({"ClientId": "app", "Authority": "https://a.example/", "ClientSecret": "legacy-secret"})");
  REQUIRE(o.settings);
  REQUIRE(o.settings->azure_ad.client_credentials.size() == 1);
  CHECK(o.settings->azure_ad.client_credentials[0].client_secret.reveal() == "legacy-secret");
}

TEST_CASE("downstream APIs without any client credential are an error") {
  auto o = bind_with(R"({"ClientId": "app", "Authority": "https://a.example/"})",
                     R"("Onbehalf": {"Cache": {"Backend": "Memory"}}, "DownstreamApis": {"A": {"BaseUrl": "https://a.example", "Scopes": ["x"]}})");
  CHECK(error_about(o, "AzureAd:ClientCredentials").find("client credential") != std::string::npos);
}

TEST_CASE("a downstream API binds every documented option") {
  auto o = bind_api(R"({"BaseUrl": "https://graph.microsoft.com/v1.0", "RelativePath": "me", "HttpMethod": "patch",
      "Scopes": ["user.read", "mail.read"], "AcceptHeader": "application/xml", "ContentType": "text/plain",
      "ProtocolScheme": "PoP", "ExtraHeaderParameters": {"X-Tenant": "t1"}, "ExtraQueryParameters": {"api-version": "2"},
      "QueryParameters": {"$top": "10"},
      "AcquireTokenOptions": {"Tenant": "t2", "Claims": "{}", "CorrelationId": "c1", "ForceRefresh": true,
                              "ExtraQueryParameters": {"dc": "ESTS-PUB"}}})");
  REQUIRE(o.errors.empty());
  const auto& api = o.settings->downstream_apis.at(0);
  CHECK(api.name == "MyAPI");
  CHECK(api.http_method == "PATCH");
  CHECK(api.scopes == std::vector<std::string>{"user.read", "mail.read"});
  CHECK(api.accept_header == "application/xml");
  CHECK(api.content_type == "text/plain");
  CHECK(api.protocol_scheme == "PoP");
  CHECK(api.extra_header_parameters.at("X-Tenant") == "t1");
  CHECK(api.extra_query_parameters.at("api-version") == "2");
  CHECK(api.extra_query_parameters.at("$top") == "10");
  CHECK(api.token_options.tenant == "t2");
  CHECK(api.token_options.force_refresh);
  CHECK(api.token_options.extra_query_parameters.at("dc") == "ESTS-PUB");
  CHECK(o.settings->find_downstream_api("myapi") == &api);
}

TEST_CASE("a downstream API without BaseUrl is an error naming its key") {
  auto o = bind_api(R"({"Scopes": ["x"]})");
  CHECK(error_about(o, "DownstreamApis:MyAPI:BaseUrl").find("is required") == 0);
}

TEST_CASE("an unknown HttpMethod is an error listing the methods") {
  auto o = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": ["x"], "HttpMethod": "FETCH"})");
  CHECK(error_about(o, "DownstreamApis:MyAPI:HttpMethod").find("GET, POST") != std::string::npos);
}

TEST_CASE("Scopes given as one string instead of an array is an error showing the array form") {
  auto o = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": "user.read"})");
  CHECK(error_about(o, "DownstreamApis:MyAPI:Scopes").find("[\"user.read\"]") != std::string::npos);
}

TEST_CASE("a downstream API without scopes is an error") {
  auto o = bind_api(R"({"BaseUrl": "https://a.example"})");
  CHECK(error_about(o, "DownstreamApis:MyAPI:Scopes").find("at least one scope") != std::string::npos);
}

TEST_CASE("an app-token API must ask for a single .default scope") {
  auto o = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": ["user.read"], "RequestAppToken": true})");
  CHECK(error_about(o, "DownstreamApis:MyAPI:Scopes").find("/.default") != std::string::npos);
}

TEST_CASE("AuthenticationOptionsName may name the one OpenID Connect scheme, and nothing else") {
  auto ok = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": ["x"], "AcquireTokenOptions": {"AuthenticationOptionsName": "OpenIdConnect"}})");
  CHECK(ok.errors.empty());
  auto o = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": ["x"], "AcquireTokenOptions": {"AuthenticationOptionsName": "Bearer"}})");
  CHECK(error_about(o, "DownstreamApis:MyAPI:AcquireTokenOptions:AuthenticationOptionsName").find("'OpenIdConnect'") != std::string::npos);
}

TEST_CASE("a boolean that is not true or false is an error quoting the value") {
  auto o = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": ["x"], "RequestAppToken": "yes"})");
  CHECK(error_about(o, "DownstreamApis:MyAPI:RequestAppToken") == "must be true or false, not 'yes'");
}

TEST_CASE("a port that is not a number from 0 to 65535 is an error") {
  CHECK(error_about(bind_host(R"({"Port": 70000, "Cache": {"Backend": "Memory"}})"), "Onbehalf:Port").find("0 to 65535") != std::string::npos);
  CHECK(error_about(bind_host(R"({"Port": "http", "Cache": {"Backend": "Memory"}})"), "Onbehalf:Port").find("'http'") != std::string::npos);
}

TEST_CASE("a listen address that is not an IP address is an error") {
  auto o = bind_host(R"({"ListenAddress": "localhost", "Cache": {"Backend": "Memory"}})");
  CHECK(error_about(o, "Onbehalf:ListenAddress").find("IP address") != std::string::npos);
}

TEST_CASE("Onbehalf:Metrics:Port gives /metrics a listener of its own, on loopback unless told otherwise") {
  auto none = bind_host(R"({"Cache": {"Backend": "Memory"}})");
  REQUIRE(none.settings);
  CHECK_FALSE(none.settings->host.metrics.own_listener);
  auto own = bind_host(R"({"Metrics": {"Port": 9464}, "Cache": {"Backend": "Memory"}})");
  REQUIRE(own.settings);
  CHECK(own.settings->host.metrics.own_listener);
  CHECK(own.settings->host.metrics.port == 9464);
  CHECK(own.settings->host.metrics.listen_address == "127.0.0.1");
  auto anywhere = bind_host(R"({"Metrics": {"Port": 0, "ListenAddress": "0.0.0.0"}, "Cache": {"Backend": "Memory"}})");
  REQUIRE(anywhere.settings);
  CHECK(anywhere.settings->host.metrics.own_listener);
  CHECK(anywhere.settings->host.metrics.listen_address == "0.0.0.0");
  CHECK(error_about(bind_host(R"({"Metrics": {"Port": 5000}, "Port": 5000, "Cache": {"Backend": "Memory"}})"), "Onbehalf:Metrics:Port")
            .find("differ") != std::string::npos);
  CHECK(error_about(bind_host(R"({"Metrics": {"Port": 9464, "ListenAddress": "metrics.local"}, "Cache": {"Backend": "Memory"}})"),
                    "Onbehalf:Metrics:ListenAddress")
            .find("IP address") != std::string::npos);
}

TEST_CASE("TLS with a certificate but no key is an error naming the missing key") {
  onbehalf::testing::temp_dir dir;
  auto cert = dir.write("cert.pem", "x");
  auto o = bind_host(R"({"Tls": {"CertificatePath": ")" + cert + R"("}, "Cache": {"Backend": "Memory"}})");
  CHECK(error_about(o, "Onbehalf:Tls:KeyPath").find("both") != std::string::npos);
}

TEST_CASE("an unknown cache backend is an error listing the backends") {
  auto o = bind_host(R"({"Cache": {"Backend": "Memcached"}})");
  CHECK(error_about(o, "Onbehalf:Cache:Backend").find("Memory, RocksDb or Redis") != std::string::npos);
}

TEST_CASE("a persistent cache without an encryption key is an error explaining how to make one") {
  auto o = bind_host(R"({"Cache": {"Backend": "RocksDb"}})");
  CHECK(error_about(o, "Onbehalf:Cache:EncryptionKeys").find("onbehalf generate-key") != std::string::npos);
}

TEST_CASE("an encryption key that is not 32 bytes of base64 is an error") {
  auto o = bind_host(R"({"Cache": {"Backend": "RocksDb", "EncryptionKeys": [{"Id": "k1", "Key": "c2hvcnQ="}]}})");
  CHECK(error_about(o, "Onbehalf:Cache:EncryptionKeys:0:Key").find("32 random bytes") != std::string::npos);
}

TEST_CASE("two encryption keys with one id are an error") {
  const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  auto o = bind_host(R"({"Cache": {"EncryptionKeys": [{"Id": "k1", "Key": ")" + key + R"("}, {"Id": "k1", "Key": ")" + key + R"("}]}})");
  CHECK(error_about(o, "Onbehalf:Cache:EncryptionKeys:1:Id").find("used by two keys") != std::string::npos);
}

TEST_CASE("valid encryption keys are bound in order, newest last") {
  const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  auto o = bind_host(R"({"Cache": {"EncryptionKeys": [{"Id": "old", "Key": ")" + key + R"("}, {"Id": "new", "Key": ")" + key + R"("}]}})");
  REQUIRE(o.settings);
  CHECK(o.settings->host.cache.encryption_keys.back().id == "new");
}

TEST_CASE("an unknown log level is an error listing the levels") {
  auto o = bind_host(R"({"LogLevel": "chatty", "Cache": {"Backend": "Memory"}})");
  CHECK(error_about(o, "Onbehalf:LogLevel").find("trace, debug, info") != std::string::npos);
}

TEST_CASE("a misspelt key is warned about with the key it probably meant") {
  auto o = bind_with(R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common", "ClientId": "app", "CallbakPath": "/x"})");
  CHECK(o.errors.empty());
  CHECK(warning_about(o, "AzureAd:CallbakPath") == "unknown key, ignored; did you mean CallbackPath?");
}

TEST_CASE("a section is known by the keys read under it, not by a key it begins like") {
  // AzureAd:Client begins like AzureAd:ClientId but is no section of ours; Onbehalf:Limits is one.
  auto o = bind_with(R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common", "ClientId": "app", "Client": {"Id": "x"}})",
                     R"("Onbehalf": {"Cache": {"Backend": "Memory"}, "Limits": {"MaxConections": 10}})");
  CHECK(warning_about(o, "AzureAd:Client").starts_with("unknown key, ignored"));
  CHECK(warning_about(o, "Onbehalf:Limits:MaxConections") == "unknown key, ignored; did you mean MaxConnections?");
  CHECK(o.warnings.size() == 2);
}

TEST_CASE("a misspelt section name is warned about with the section it probably meant") {
  auto o = bind_with(good_azure_ad, R"("Onbehalf": {"Cache": {"Backend": "Memory"}}, "DownstreamApi": {"A": {"BaseUrl": "https://a.example"}})");
  CHECK(warning_about(o, "DownstreamApi") == "unknown section; did you mean DownstreamApis?");
}

TEST_CASE("sections of the application's own are not warned about") {
  auto o = bind_with(good_azure_ad,
                     R"("Onbehalf": {"Cache": {"Backend": "Memory"}}, "Logging": {"LogLevel": {"Default": "Information"}}, "AllowedHosts": "*")");
  CHECK(o.warnings.empty());
}

TEST_CASE("AzureAd:Scopes, which web API routes read themselves, is not warned about, as a string or a list") {
  for (const char* scopes : {R"("access_as_user")", R"(["access_as_user", "Todo.Read"])"}) {
    auto o = bind_with(R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common", "ClientId": "app-1", "Scopes": )" +
                           std::string(scopes) + "}",
                       R"("Onbehalf": {"Cache": {"Backend": "Memory"}})");
    INFO(scopes);
    CHECK(o.warnings.empty());
  }
}

TEST_CASE("AzureAd:ClientCapabilities is a list of capability names") {
  auto o =
      bind_with(R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common", "ClientId": "app-1", "ClientCapabilities": ["cp1"]})");
  REQUIRE(o.settings);
  CHECK(o.settings->azure_ad.client_capabilities == std::vector<std::string>{"cp1"});
  auto quoted =
      bind_with(R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common", "ClientId": "app-1", "ClientCapabilities": ["cp1\""]})");
  CHECK_FALSE(quoted.settings);
  auto single =
      bind_with(R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common", "ClientId": "app-1", "ClientCapabilities": "cp1"})");
  CHECK_FALSE(single.settings); // a list, as in MIW's appsettings.json
}

TEST_CASE("AzureAd:OnBehalfOfGrant is read in any case, as the other named choices are") {
  auto o = bind_with(
      R"({"Instance": "https://login.microsoftonline.com/", "TenantId": "common", "ClientId": "app-1", "OnBehalfOfGrant": "tokenexchange"})",
      R"("Onbehalf": {"Cache": {"Backend": "Memory"}})");
  REQUIRE(o.settings);
  CHECK(o.settings->azure_ad.on_behalf_of_grant == "TokenExchange");
}

TEST_CASE("an unknown key under a downstream API is warned about") {
  auto o = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": ["x"], "Scope": ["y"]})");
  CHECK(warning_about(o, "DownstreamApis:MyAPI:Scope").find("did you mean Scopes?") != std::string::npos);
}

TEST_CASE("credential-like extra headers are masked in the effective configuration") {
  auto o = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": ["x"], "ExtraHeaderParameters": {"x-api-key": "k-123456", "X-Trace": "on"}})");
  REQUIRE(o.settings);
  CHECK(o.settings->downstream_apis[0].extra_header_parameters.at("x-api-key") == "k-123456");
  for (const auto& v : o.effective) {
    if (v.key.ends_with("x-api-key")) CHECK(v.shown == "****");
    if (v.key.ends_with("X-Trace")) CHECK(v.shown == "on");
  }
}

TEST_CASE("an encryption key id with characters other than letters, digits, '-' and '_' is an error") {
  const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  auto o = bind_host(R"({"Cache": {"EncryptionKeys": [{"Id": "key 1", "Key": ")" + key + R"("}]}})");
  CHECK(error_about(o, "Onbehalf:Cache:EncryptionKeys:0:Id").find("letters, digits") != std::string::npos);
}

TEST_CASE("the configured encryption keys make a key ring that seals with the newest") {
  const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  auto o = bind_host(R"({"Cache": {"EncryptionKeys": [{"Id": "old", "Key": ")" + key + R"("}, {"Id": "new", "Key": ")" + key + R"("}]}})");
  REQUIRE(o.settings);
  auto ring = make_key_ring(o.settings->host.cache.encryption_keys);
  REQUIRE(ring);
  CHECK(ring->current_key_id() == "new");
  CHECK(ring->open(ring->seal("token cache entry", "cache"), "cache"));
}

TEST_CASE("a provider other than Entra ID may grant apps a scope that is not .default") {
  auto o = bind_with(
      R"({"Authority": "https://id.example.com", "ClientId": "app-1",
        "ClientCredentials": [{"SourceType": "ClientSecret", "ClientSecret": "s3cret-value"}]})",
      R"("Onbehalf": {"Cache": {"Backend": "Memory"}}, "DownstreamApis": {"Orders": {"BaseUrl": "https://a.example", "Scopes": ["orders:read"], "RequestAppToken": true}})");
  CHECK(o.errors.empty());
}

TEST_CASE("an unknown sign-in prompt is an error listing the prompts") {
  auto o = bind_host(R"({"Cache": {"Backend": "Memory"}, "SignIn": {"Prompt": "always"}})");
  CHECK(error_about(o, "Onbehalf:SignIn:Prompt").find("consent") != std::string::npos);
}

TEST_CASE("a key path names one value, or every value of a list, as ScopeKeySection reads it") {
  auto o = bind_api(R"({"BaseUrl": "https://a.example", "Scopes": ["api://todo/read", "api://todo/write"]})");
  REQUIRE(o.settings);
  CHECK(o.settings->values_at("DownstreamApis:MyAPI:Scopes:1") == std::vector<std::string>{"api://todo/write"});
  CHECK(o.settings->values_at("downstreamapis:myapi:scopes") == std::vector<std::string>{"api://todo/read", "api://todo/write"});
  CHECK(o.settings->values_at("DownstreamApis:MyAPI:Scopes:7").empty());
  onbehalf::config::app_settings built_in_code;
  built_in_code.downstream_apis = {o.settings->downstream_apis.front()};
  CHECK(built_in_code.values_at("DownstreamApis:MyAPI:Scopes:0") == std::vector<std::string>{"api://todo/read"});
}

TEST_CASE("TrustedOrigins binds origins, and an entry with a path or without a scheme is an error quoting it") {
  auto good = bind_host(R"({"Cache": {"Backend": "Memory"}, "SignIn": {"TrustedOrigins": ["https://portal.example", "http://127.0.0.1:8080"]}})");
  REQUIRE(good.settings);
  CHECK(good.settings->host.sign_in.trusted_origins == std::vector<std::string>{"https://portal.example", "http://127.0.0.1:8080"});
  for (std::string_view bad : {"https://portal.example/", "portal.example", "https://portal.example/app"}) {
    INFO(bad);
    auto o = bind_host(R"({"Cache": {"Backend": "Memory"}, "SignIn": {"TrustedOrigins": [")" + std::string(bad) + R"("]}})");
    CHECK(error_about(o, "Onbehalf:SignIn:TrustedOrigins").find("'" + std::string(bad) + "'") != std::string::npos);
  }
}
