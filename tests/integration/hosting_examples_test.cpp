// The programs of examples/ that host onbehalf without its front, run as a user runs them: the
// daemon calling an API as the app, and the plain Beast server signing a user in itself and
// calling an API on their behalf. The dev authority and the sample API run in this process.
#include "../support/child_process.hpp"
#include "../support/web_app_fixture.hpp"
#include "example_programs.hpp"

#include "onbehalf/sample_api/sample_api.hpp"

#include <cstdlib>
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
        "Authority": ")" + authority.authority(dev::tenant_id) +
                                             R"(",
        "ClientId": ")" + dev::client_id + R"(",
        "CallbackPath": "/signin-oidc",
        "ClientCredentials": [ { "SourceType": "ClientSecret", "ClientSecret": "web-app-secret-1" } ]
      },
      "DownstreamApis": { )" + downstream_api +
                                             R"( },
      "Onbehalf": {
        "ListenAddress": "127.0.0.1",
        "Port": )" + std::to_string(example_port) +
                                             R"(,
        "Cache": { "Backend": "Memory" },
        "SignIn": { "InitialScopes": [ ")" + web::todo_scope +
                                             R"(" ] },
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

namespace {

// The first answer of a program that is still starting.
http::client_response first_answer(http::client& web_client, const std::string& url) {
  for (int i = 0; i < 100; ++i) {
    if (auto answer = send_and_wait(web_client, {"GET", url, {}, {}, {}})) return *answer;
    std::this_thread::sleep_for(50ms);
  }
  return {};
}

// Follows redirects and answers the authority's pages as Ada until a page holds `marker`.
http::client_response sign_in_until(browser& b, http::client_response page, const std::string& marker) {
  dev::sign_in_options ada;
  dev::sign_in_result seen;
  for (int step = 0; step < 12 && !(page.status == 200 && page.body.find(marker) != std::string::npos); ++step) {
    if (page.status / 100 == 3) {
      page = b.request("GET", b.location(page));
      continue;
    }
    auto next = dev::answer_authority_page(b, page, ada, seen);
    INFO(page.status << " " << page.body.substr(0, 600));
    REQUIRE(next);
    page = *next;
  }
  return page;
}

} // namespace

TEST_CASE("examples: a plain Beast server signs a user in and calls the API on their behalf") {
  peers p;
  auto config = p.settings_file(R"("TodoList": { "BaseUrl": ")" + p.api->base_url() + R"(", "Scopes": [")" + web::todo_scope + R"("] })");
  child_process server({ONBEHALF_PLAIN_BEAST_EXAMPLE, "--config", config}, p.dir.path("server.log"));
  auto web_client = make_client();
  auto origin = "http://127.0.0.1:" + std::to_string(p.example_port);
  browser b(*web_client, origin);
  auto page = first_answer(*web_client, origin + "/");
  INFO(p.read("server.log"));
  REQUIRE(page.body.find("not signed in") != std::string::npos);

  page = sign_in_until(b, b.request("GET", origin + "/signin"), "Hello");
  CHECK(page.body.find("Hello Ada Lovelace") != std::string::npos);
  CHECK(page.body.find("access_as_user") != std::string::npos);
}

// The README's quick start: as built in this tree, or as a user builds it against an installed
// onbehalf, a Debian package or a checkout (tests/packaging/consume.sh sets ONBEHALF_HELLO_PROGRAM).
TEST_CASE("examples: hello signs a user in and shows what the API says about them") {
  const char* consumed = std::getenv("ONBEHALF_HELLO_PROGRAM");
  std::string program = consumed && *consumed ? consumed : ONBEHALF_HELLO_EXAMPLE;
  peers p;
  auto config = p.settings_file(R"("MyAPI": { "BaseUrl": ")" + p.api->base_url() + R"(", "Scopes": [")" + web::todo_scope + R"("] })");
  child_process hello({program, config}, p.dir.path("hello.log"));
  auto web_client = make_client();
  auto origin = "http://127.0.0.1:" + std::to_string(p.example_port);
  browser b(*web_client, origin);
  auto page = first_answer(*web_client, origin + "/");
  INFO(program << "\n" << p.read("hello.log"));
  REQUIRE(page.status == 302); // to the authority: the page needs a signed-in user

  auto visit = devauthority::browse(b, "GET", origin + "/", dev::person_of(dev::sign_in_options{}));
  REQUIRE(visit);
  CHECK(visit->last.status == 200);
  CHECK(visit->last.body.find("Hello Ada Lovelace, from an API that saw your token.") != std::string::npos);
}
