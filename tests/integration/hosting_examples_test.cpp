// The programs of examples/ that host onbehalf without its front, run as a user runs them: the
// daemon calling an API as the app, and the plain Beast server signing a user in itself and
// calling an API on their behalf. The dev authority and the sample API run in this process.
#include "../support/child_process.hpp"
#include "../support/web_app_fixture.hpp"
#include "example_programs.hpp"

#include "onbehalf/sample_api/sample_api.hpp"

#include <fstream>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

// The dev authority (knowing the example's redirect URI) and the sample API trusting it.
struct peers {
  self_signed client_cert{true};
  temp_dir dir;
  std::uint16_t example_port = free_loopback_port();
  devauthority::dev_authority authority{web::directory_for_app(client_cert, example_port)};
  std::unique_ptr<sample_api::server> api;

  peers() {
    REQUIRE(authority.start());
    sample_api::settings s;
    s.port = 0;
    s.authority = authority.authority(dev::tenant_id);
    s.todo = {"todo-api-app-id", dev::todo_api};
    api = std::make_unique<sample_api::server>(s);
    REQUIRE(api->start());
  }

  /// appsettings.json for an example, with these peers' addresses.
  std::string settings_file(const std::string& downstream_api) {
    return dir.write("appsettings.json", R"({
      "AzureAd": {
        "Authority": ")" + authority.authority(dev::tenant_id) + R"(",
        "ClientId": ")" + dev::client_id + R"(",
        "CallbackPath": "/signin-oidc",
        "ClientCredentials": [ { "SourceType": "ClientSecret", "ClientSecret": "web-app-secret-1" } ]
      },
      "DownstreamApis": { )" + downstream_api + R"( },
      "Onbehalf": {
        "ListenAddress": "127.0.0.1",
        "Port": )" + std::to_string(example_port) + R"(,
        "Cache": { "Backend": "Memory" },
        "SignIn": { "InitialScopes": [ ")" + web::todo_scope + R"(" ] },
        "LogLevel": "warning"
      }
    })");
  }

  std::string read(const std::string& name) {
    std::ifstream in(dir.path(name));
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
};

} // namespace

TEST_CASE("examples: the daemon lists every user's todos with the app's own token") {
  peers p;
  auto config = p.settings_file(R"("TodoApp": { "BaseUrl": ")" + p.api->base_url() + R"(", "Scopes": [")" + dev::todo_api +
                                R"(/.default"], "RequestAppToken": true })");
  child_process daemon({ONBEHALF_DAEMON_EXAMPLE, "--config", config}, p.dir.path("daemon.log"));
  CHECK(daemon.wait_for_exit() == 0);
  auto output = p.read("daemon.log");
  INFO(output);
  CHECK(output.find("0 todos") != std::string::npos);
}

TEST_CASE("examples: the daemon names the broken key when its configuration is wrong") {
  peers p;
  auto config = p.dir.write("broken.json", R"({"AzureAd": {"Authority": "http://127.0.0.1:9/x/v2.0"}})");
  child_process daemon({ONBEHALF_DAEMON_EXAMPLE, "--config", config}, p.dir.path("daemon.log"));
  CHECK(daemon.wait_for_exit() == 1);
  CHECK(p.read("daemon.log").find("AzureAd:ClientId") != std::string::npos);
}

TEST_CASE("examples: a plain Beast server signs a user in and calls the API on their behalf") {
  peers p;
  auto config = p.settings_file(R"("TodoList": { "BaseUrl": ")" + p.api->base_url() + R"(", "Scopes": [")" + web::todo_scope + R"("] })");
  child_process server({ONBEHALF_PLAIN_BEAST_EXAMPLE, "--config", config}, p.dir.path("server.log"));
  auto web_client = make_client();
  auto origin = "http://127.0.0.1:" + std::to_string(p.example_port);
  browser b(*web_client, origin);
  http::client_response page;
  for (int i = 0; i < 100; ++i) {
    auto first = send_and_wait(*web_client, {"GET", origin + "/", {}, {}, {}});
    if (first) {
      page = *first;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  INFO(p.read("server.log"));
  REQUIRE(page.body.find("not signed in") != std::string::npos);

  page = b.request("GET", origin + "/signin");
  dev::sign_in_options ada;
  dev::sign_in_result seen;
  for (int step = 0; step < 12 && !(page.status == 200 && page.body.find("Hello") != std::string::npos); ++step) {
    if (page.status / 100 == 3) {
      page = b.request("GET", b.location(page));
      continue;
    }
    auto next = dev::answer_authority_page(b, page, ada, seen);
    REQUIRE(next);
    page = *next;
  }
  CHECK(page.body.find("Hello Ada Lovelace") != std::string::npos);
  CHECK(page.body.find("access_as_user") != std::string::npos);
}
