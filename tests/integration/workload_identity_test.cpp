// What apps on Kubernetes and Azure configure instead of a secret in appsettings.json: a
// certificate rotated on disk, the token Kubernetes projects into the pod (workload identity
// federation), and managed identity — both for app tokens directly and as the app's federated
// credential. The dev authority serves the managed-identity endpoints in both of Azure's shapes.
#include "../support/captured_log.hpp"
#include "../support/downstream_fixture.hpp"

#include "onbehalf/actors/credential_probe.hpp"
#include "onbehalf/core/base64.hpp"

#include <filesystem>
#include <future>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::downstream;
using source_type = config::client_credential::source_type;

namespace {

const std::string service_account = "system:serviceaccount:shop:web";

// As Kubernetes and certificate tools do: the new version is written beside, then renamed over.
void replace_file(const std::string& path, const std::string& content) {
  std::ofstream(path + ".new", std::ios::binary) << content;
  std::filesystem::rename(path + ".new", path);
}

config::client_credential assertion_file(std::string path) {
  config::client_credential c;
  c.type = source_type::signed_assertion_file_path;
  c.signed_assertion_file_path = std::move(path);
  return c;
}

config::client_credential certificate_file(std::string path) {
  config::client_credential c;
  c.type = source_type::path;
  c.certificate_disk_path = std::move(path);
  return c;
}

config::client_credential from_managed_identity(std::string client_id) {
  config::client_credential c;
  c.type = source_type::signed_assertion_from_managed_identity;
  c.managed_identity_client_id = std::move(client_id);
  return c;
}

// The fixture's app with one credential; its app-only API (TodoApp) echoes the token it gets.
void use(config::app_settings& s, config::client_credential c) {
  s.azure_ad.client_credentials = {std::move(c)};
  s.downstream_apis[1].relative_path = "api/echo";
  s.host.log_level = "warning";
}

actors::call_result<echo> echo_as_app(fixture& x) { return run(x.apis().get_for_app<echo>("TodoApp")); }

std::string pem_of(const self_signed& certificate, const temp_dir& dir, const std::string& name) {
  auto path = dir.path(name);
  certificate.write_pem(path, path);
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace

TEST_CASE("workload identity: the app proves itself with the token Kubernetes projects, read again each time it is renewed") {
  temp_dir files;
  auto token_file = files.path("azure-identity-token");
  fixture x([&](config::app_settings& s, dev::authority_fixture& f) {
    replace_file(token_file, f.authority.workload_token(service_account));
    use(s, assertion_file(token_file));
  });
  auto seen = echo_as_app(x);
  INFO((seen ? std::string() : seen.error().message()));
  REQUIRE(seen);
  CHECK(seen->token.roles == std::vector<std::string>{"Todo.Read.All", "Todo.ReadWrite.All"});

  // A token for a service account the app registration does not trust is refused, in words.
  replace_file(token_file, x.f.authority.workload_token("system:serviceaccount:shop:intruder"));
  auto refused = x.forced_app_token();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().has_code(700213));
  CHECK(refused.error().message().find("subject") != std::string::npos);
  CHECK(x.services->tokens().endpoint_metrics().count("client_credentials", "configuration_error") == 1);

  // The renewed token is read at the next request: no restart.
  replace_file(token_file, x.f.authority.workload_token(service_account));
  CHECK(x.forced_app_token());
  CHECK(x.f.authority.token_requests("client_credentials") == 3);
}

TEST_CASE("workload identity: an expired projected token is refused by the authority, not sent forever") {
  temp_dir files;
  auto token_file = files.path("azure-identity-token");
  fixture x([&](config::app_settings& s, dev::authority_fixture& f) {
    replace_file(token_file, f.authority.workload_token(service_account, std::chrono::seconds(0)));
    use(s, assertion_file(token_file));
  });
  auto refused = x.forced_app_token();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().has_code(700024));
}

TEST_CASE("workload identity: a token file that cannot be read fails the start, naming the file and the credential") {
  dev::authority_fixture f;
  config::app_settings s;
  s.azure_ad.authority = f.authority.authority(dev::tenant_id);
  s.azure_ad.tenant_id = dev::tenant_id;
  s.azure_ad.client_id = dev::client_id;
  s.azure_ad.client_credentials = {assertion_file("/no/such/azure-identity-token")};
  s.host.cache.backend = config::cache_options::backend_type::memory;
  s.host.log_level = "off";
  actors::token_acquirer_factory services(s);
  auto built = services.build();
  REQUIRE_FALSE(built);
  CHECK(built.error().find("/no/such/azure-identity-token") != std::string::npos);
  CHECK(built.error().find("AzureAd:ClientCredentials:0") != std::string::npos);
}

TEST_CASE("certificate rotation: a certificate replaced on disk is used from the next token request, without a restart") {
  captured_log log;
  temp_dir files;
  self_signed unregistered(true);
  auto path = files.path("client.pem");
  replace_file(path, pem_of(unregistered, files, "unregistered.pem"));
  fixture x([&](config::app_settings& s) { use(s, certificate_file(path)); });

  auto refused = x.forced_app_token(); // the app registration does not have this certificate
  REQUIRE_FALSE(refused);
  CHECK(refused.error().has_code(700027));

  replace_file(path, pem_of(x.f.client_cert, files, "registered.pem")); // the one it has
  CHECK(x.forced_app_token());

  // A broken file does not stop the app: the certificate it had is kept, and the log says so.
  replace_file(path, "-----BEGIN CERTIFICATE-----\nnot a certificate\n");
  CHECK(x.forced_app_token());
  INFO(log.all());
  CHECK(log.all().find("the previous version is used") != std::string::npos);
  CHECK(log.all().find("file=") != std::string::npos); // its value masked here: a temporary folder's name looks random
}

TEST_CASE("managed identity: a downstream API's app token comes from the instance metadata service, for the system-assigned identity") {
  fixture x([](config::app_settings& s, dev::authority_fixture& f) {
    s.managed_identity.imds_endpoint = f.authority.base_url();
    s.downstream_apis[1].relative_path = "api/echo";
    s.downstream_apis[1].token_options.managed_identity = ""; // system-assigned
  });
  auto seen = echo_as_app(x);
  INFO((seen ? std::string() : seen.error().message()));
  REQUIRE(seen);
  CHECK(seen->token.oid == "mi-system-object");
  CHECK(seen->token.roles == std::vector<std::string>{"Todo.Read.All"});
  CHECK(echo_as_app(x));
  CHECK(x.f.authority.token_requests("managed_identity") == 1); // the second call was served from the cache
  CHECK(x.f.authority.token_requests("client_credentials") == 0);
  CHECK(x.services->tokens().endpoint_metrics().count("managed_identity", "success") == 1);
}

TEST_CASE("managed identity: App Service's endpoint, with its identity header, for a user-assigned identity") {
  fixture x([](config::app_settings& s, dev::authority_fixture& f) {
    s.managed_identity.identity_endpoint = f.authority.app_service_identity_endpoint();
    s.managed_identity.identity_header = secret("devauthority-identity-header");
    s.downstream_apis[1].relative_path = "api/echo";
    s.downstream_apis[1].token_options.managed_identity = "mi-user-client";
  });
  auto seen = echo_as_app(x);
  INFO((seen ? std::string() : seen.error().message()));
  REQUIRE(seen);
  CHECK(seen->token.oid == "mi-user-object");
  CHECK(seen->token.roles == std::vector<std::string>{"Todo.ReadWrite.All"});
}

TEST_CASE("managed identity: an identity the endpoint does not know is an error that names the setting") {
  fixture x([](config::app_settings& s, dev::authority_fixture& f) {
    s.managed_identity.imds_endpoint = f.authority.base_url();
    s.downstream_apis[1].token_options.managed_identity = "not-assigned-here";
  });
  auto answer = echo_as_app(x);
  REQUIRE_FALSE(answer);
  INFO(answer.error().message());
  CHECK(answer.error().message().find("UserAssignedClientId") != std::string::npos);
  CHECK(answer.error().message().find("not-assigned-here") != std::string::npos);
}

TEST_CASE("managed identity as the app's credential: its token is the client assertion, fetched once for many grants") {
  fixture x([](config::app_settings& s, dev::authority_fixture& f) {
    s.managed_identity.imds_endpoint = f.authority.base_url();
    use(s, from_managed_identity("mi-user-client"));
  });
  auto seen = echo_as_app(x);
  INFO((seen ? std::string() : seen.error().message()));
  REQUIRE(seen);
  CHECK(seen->token.roles == std::vector<std::string>{"Todo.Read.All", "Todo.ReadWrite.All"}); // the app's roles, not the identity's
  CHECK(x.forced_app_token());
  CHECK(x.f.authority.token_requests("client_credentials") == 2);
  CHECK(x.f.authority.token_requests("managed_identity") == 1);
}

TEST_CASE("managed identity as the app's credential: an identity the app registration does not trust is refused, in words") {
  fixture x([](config::app_settings& s, dev::authority_fixture& f) {
    s.managed_identity.imds_endpoint = f.authority.base_url();
    use(s, from_managed_identity("")); // the system-assigned identity: not among the app's federated credentials
  });
  auto refused = x.forced_app_token();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().has_code(700213));
}

TEST_CASE("check-config --probe: each credential is tried alone, and the report says which the authority accepts") {
  dev::authority_fixture f;
  temp_dir files;
  auto token_file = files.path("azure-identity-token");
  replace_file(token_file, f.authority.workload_token(service_account));
  config::app_settings s;
  s.azure_ad.authority = f.authority.authority(dev::tenant_id);
  s.azure_ad.tenant_id = dev::tenant_id;
  s.azure_ad.client_id = dev::client_id;
  s.azure_ad.client_credentials = {{source_type::client_secret, secret("an-old-secret"), {}, {}, {}},
                                   certificate_file("/no/such/certificate.pem"),
                                   assertion_file(token_file),
                                   {source_type::client_secret, secret("web-app-secret-1"), {}, {}, {}}};
  config::downstream_api_options app_api;
  app_api.name = "TodoApp";
  app_api.scopes = {dev::todo_api + "/.default"};
  app_api.request_app_token = true;
  s.downstream_apis = {app_api};
  using verdict = actors::credential_report::verdict;
  auto reports = actors::probe_credentials(s);
  REQUIRE(reports.size() == 4);
  CHECK(reports[0].state == verdict::refused);
  CHECK(reports[0].detail.find("7000215") != std::string::npos);
  CHECK(reports[1].state == verdict::unusable);
  CHECK(reports[1].detail.find("/no/such/certificate.pem") != std::string::npos);
  CHECK(reports[2].state == verdict::works);
  CHECK(reports[2].description.find("workload identity federation") != std::string::npos);
  CHECK(reports[3].state == verdict::works);
  CHECK(reports[3].key == "AzureAd:ClientCredentials:3");
  CHECK(f.authority.token_requests("client_credentials") == 3); // the unloadable one never reached the authority
}

TEST_CASE("certificates from configuration: a base64 PKCS#12 (SourceType Base64Encoded) gets app tokens") {
  fixture x([](config::app_settings& s, dev::authority_fixture& f) {
    config::client_credential c;
    c.type = source_type::base64_encoded;
    c.certificate_base64_value = secret(base64::encode(f.client_cert.pkcs12("pfx-password")));
    c.certificate_password = secret("pfx-password");
    use(s, c);
  });
  auto seen = echo_as_app(x);
  INFO((seen ? std::string() : seen.error().message()));
  REQUIRE(seen);
  CHECK(seen->token.roles == std::vector<std::string>{"Todo.Read.All", "Todo.ReadWrite.All"});
}

TEST_CASE("workload and managed identity: no projected token, managed-identity token or token won with them reaches the debug log") {
  captured_log log;
  temp_dir files;
  auto token_file = files.path("azure-identity-token");
  std::string projected;
  {
    fixture x([&](config::app_settings& s, dev::authority_fixture& f) {
      projected = f.authority.workload_token(service_account);
      replace_file(token_file, projected);
      s.azure_ad.client_credentials = {assertion_file(token_file), from_managed_identity("mi-user-client")};
      s.managed_identity.imds_endpoint = f.authority.base_url();
      s.downstream_apis[1].relative_path = "api/echo";
      s.host.log_level = "debug";
    });
    CHECK(echo_as_app(x));
    // Refused: the chain moves on to the managed identity, whose token becomes the assertion.
    replace_file(token_file, x.f.authority.workload_token("system:serviceaccount:shop:intruder"));
    CHECK(x.forced_app_token());
    CHECK(x.f.authority.token_requests("managed_identity") == 1);
  }
  logger::global().set_level(log_level::info);
  auto text = log.all();
  CHECK(text.find("700213") != std::string::npos); // the refusal was logged
  CHECK(text.find(projected.substr(projected.rfind('.') + 1)) == std::string::npos);
  CHECK(text.find("eyJ") == std::string::npos); // no JWT at all
}
