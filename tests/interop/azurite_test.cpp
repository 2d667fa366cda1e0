// The token credential against a real Azure Storage emulator (npm azurite, OAuth on, HTTPS with a
// certificate made here): containers and blobs through Storage's REST API with the credential's
// tokens, which the dev authority shapes as Entra shapes tokens for Storage (v1: issuer
// sts.windows.net, audience https://storage.azure.com).
#include "../support/child_process.hpp"
#include "../support/devauthority_fixture.hpp"
#include "../support/ports.hpp"
#include "../support/self_signed.hpp"
#include "../support/sync_client.hpp"
#include "../support/temp_dir.hpp"

#include "onbehalf/actors/token_acquirer_factory.hpp"

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

const std::string storage = "https://storage.azure.com";
const std::string account_path = "/devstoreaccount1";

devauthority::directory storage_directory() {
  devauthority::directory d;
  d.port = 0;
  devauthority::tenant t;
  t.id = "72f988bf-0000-4000-8000-000000000001";
  t.users = {{"ada@contoso.onmicrosoft.com", secret("ada-password-1"), "Ada Lovelace", "oid-ada"}};
  devauthority::resource blob{storage, "e406a681-f3d4-42a8-90b6-c2b029497af1", {"user_impersonation"}, {}, false, 1};
  devauthority::resource todo{"api://todo-api", "todo-api-app-id", {"access_as_user"}, {"Todo.Read.All"}, false, 2};
  t.resources = {blob, todo};
  devauthority::app a;
  a.client_id = "storage-daemon";
  a.secrets = {secret("storage-daemon-secret")};
  a.application_permissions = {{"api://todo-api", {"Todo.Read.All"}}};
  t.apps = {a};
  d.tenants = {t};
  return d;
}

// Azurite's Blob service on a free loopback port, OAuth checked, HTTPS only.
struct azurite {
  temp_dir dir;
  pem_files tls = write_self_signed_certificate(dir.path(""));
  std::uint16_t port = free_loopback_port();
  std::unique_ptr<child_process> node;

  azurite() {
    auto program = std::string(ONBEHALF_INTEROP_DIR) + "/node_modules/.bin/azurite-blob";
    if (!std::filesystem::exists(program)) FAIL("azurite is not installed: run `npm ci --prefix tests/interop` (scripts/test does this)");
    node =
        std::make_unique<child_process>(std::vector<std::string>{program, "--blobHost", "127.0.0.1", "--blobPort", std::to_string(port), "--location",
                                                                 dir.path("data"), "--oauth", "basic", "--cert", tls.certificate_path, "--key",
                                                                 tls.key_path, "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"},
                                        dir.path("azurite.log"));
    http::client_options o;
    o.ca_bundle_path = tls.certificate_path;
    auto web = make_client(o);
    for (int i = 0; i < 150 && node->running(); ++i) {
      if (send_and_wait(*web, {"GET", base() + account_path + "?comp=list", {}, {}, {}})) return; // any HTTP answer: it listens
      std::this_thread::sleep_for(100ms);
    }
    std::ifstream log(dir.path("azurite.log"));
    FAIL("azurite did not start:\n" << std::string((std::istreambuf_iterator<char>(log)), {}));
  }
  std::string base() const { return "https://127.0.0.1:" + std::to_string(port); }
};

struct storage_fixture {
  devauthority::dev_authority authority{storage_directory()};
  azurite blobs;
  std::unique_ptr<actors::token_acquirer_factory> services;
  std::unique_ptr<http::client> web;

  storage_fixture() {
    REQUIRE(authority.start());
    config::app_settings s;
    s.azure_ad.authority = authority.authority("72f988bf-0000-4000-8000-000000000001");
    s.azure_ad.tenant_id = "72f988bf-0000-4000-8000-000000000001";
    s.azure_ad.client_id = "storage-daemon";
    s.azure_ad.client_credentials = {{config::client_credential::source_type::client_secret, secret("storage-daemon-secret"), {}, {}, {}}};
    s.host.cache.backend = config::cache_options::backend_type::memory;
    s.host.log_level = "error";
    services = std::make_unique<actors::token_acquirer_factory>(s);
    REQUIRE(services->build());
    http::client_options o;
    o.ca_bundle_path = blobs.tls.certificate_path;
    web = make_client(o);
  }
  ~storage_fixture() { services.reset(); }

  std::string token_for(const std::string& scope) {
    std::promise<actors::call_result<actors::access_token>> out;
    start([](actors::token_credential c, std::string scope, std::promise<actors::call_result<actors::access_token>>& out) -> task<void> {
      std::vector<std::string> scopes{scope}; // named: g++ 12 cannot make an initializer list inside co_await
      out.set_value(co_await c.get_token(scopes));
    }(services->app_credential(), scope, out));
    auto token = out.get_future().get();
    INFO((token ? std::string() : token.error().message()));
    REQUIRE(token);
    return token->token.reveal();
  }

  http::client_response storage_call(const std::string& method, const std::string& path, const std::string& token, std::string body = {},
                                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::client_request r{method, blobs.base() + account_path + path, {}, std::move(body), {}};
    r.headers.set("Authorization", "Bearer " + token);
    r.headers.set("x-ms-version", "2021-12-02");
    for (auto& [name, value] : headers) r.headers.set(name, value);
    auto reply = send_and_wait(*web, r);
    INFO((reply ? std::string() : reply.error().message));
    REQUIRE(reply);
    return *reply;
  }
};

} // namespace

TEST_CASE("azurite: the app's token credential creates a container, uploads a blob and lists it") {
  storage_fixture f;
  auto token = f.token_for(storage + "/.default");
  auto claims = dev::claims_of(token);
  CHECK(claims.string("iss") == "https://sts.windows.net/72f988bf-0000-4000-8000-000000000001/");
  CHECK(claims.string("aud") == storage);

  CHECK(f.storage_call("PUT", "/photos?restype=container", token).status == 201);
  CHECK(f.storage_call("PUT", "/photos/hello.txt", token, "hello, storage", {{"x-ms-blob-type", "BlockBlob"}}).status == 201);
  auto listed = f.storage_call("GET", "/photos?restype=container&comp=list", token);
  CHECK(listed.status == 200);
  CHECK(listed.body.find("<Name>hello.txt</Name>") != std::string::npos);
}

TEST_CASE("azurite: a token shaped for another API (v2 issuer, another audience) is refused by Storage") {
  storage_fixture f;
  auto other = f.token_for("api://todo-api/.default");
  auto refused = f.storage_call("PUT", "/refused?restype=container", other);
  CHECK(refused.status == 403);
  CHECK(refused.body.find("AuthenticationFailed") != std::string::npos);
}
