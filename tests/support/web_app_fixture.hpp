// A signed-in web app as a person meets it: the dev authority, an onbehalf host on a known
// loopback port whose redirect URI the authority knows, a RocksDB cache, and a browser that
// follows redirects, answers the authority's pages and submits form_post pages.
#pragma once

#include "devauthority_fixture.hpp"
#include "ports.hpp"
#include "started_host.hpp"

#include "onbehalf/actors/host.hpp"
#include "onbehalf/actors/token_service.hpp"

#include <future>

namespace onbehalf::testing::web {

using namespace std::chrono_literals;

inline const std::string todo_scope = dev::todo_api + "/access_as_user";
inline const std::string cache_key_base64 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

inline devauthority::directory directory_for_app(const self_signed& cert, std::uint16_t app_port,
                                                 const std::function<void(devauthority::directory&)>& adjust = {}) {
  auto d = dev::sample_directory(cert);
  if (adjust) adjust(d);
  auto origin = "http://127.0.0.1:" + std::to_string(app_port);
  auto& app = d.tenants[0].apps[0];
  app.redirect_uris.push_back(origin + "/signin-oidc");
  app.post_logout_redirect_uris.push_back(origin + "/signout-callback-oidc");
  return d;
}

struct app_fixture {
  self_signed client_cert{true};
  temp_dir dir;
  std::uint16_t port = free_loopback_port();
  std::string origin = "http://127.0.0.1:" + std::to_string(port);
  devauthority::dev_authority authority;
  std::unique_ptr<http::client> web = make_client();
  config::app_settings settings;
  std::unique_ptr<actors::host> host;

  /// Registers the app's routes instead of the default ones (home, profile, admin…).
  std::function<void(actors::host&)> routes_of;
  /// Anything else the app sets on its host before each start (hooks, observers).
  std::function<void(actors::host&)> prepare;
  /// The application's own level-2 store for each start (host::use_durable_store), if any.
  std::function<std::unique_ptr<cache::durable_store>()> store_of;

  /// `adjust_directory` changes the authority's directory (app registrations) before it starts.
  explicit app_fixture(const std::function<void(config::app_settings&)>& adjust = {}, std::function<void(actors::host&)> routes = {},
                       const std::function<void(devauthority::directory&)>& adjust_directory = {})
      : authority(directory_for_app(client_cert, port, adjust_directory)), routes_of(std::move(routes)) {
    REQUIRE(authority.start());
    auto& s = settings;
    s.azure_ad.authority = authority.authority(dev::tenant_id);
    s.azure_ad.client_id = dev::client_id;
    s.azure_ad.tenant_id = dev::tenant_id;
    s.azure_ad.client_credentials = {{config::client_credential::source_type::client_secret, secret("web-app-secret-1"), {}, {}, {}}};
    s.host.port = port;
    s.host.io_threads = 1;
    s.host.actor_threads = 2;
    s.host.log_level = "error";
    s.host.cache.backend = config::cache_options::backend_type::rocksdb;
    s.host.cache.path = dir.path("cache");
    s.host.cache.encryption_keys = {{"k1", secret(cache_key_base64)}};
    s.host.sign_in.initial_scopes = {todo_scope};
    if (adjust) adjust(s);
    start();
  }

  ~app_fixture() { stop(); }

  void start() {
    host = std::make_unique<actors::host>(settings);
    if (store_of) host->use_durable_store(store_of());
    if (prepare) prepare(*host);
    if (routes_of)
      routes_of(*host);
    else
      add_default_routes(host->routes());
    require_started(*host);
  }

  /// Home (anonymous), profile, comment (anonymous), and pages that need a role or a user.
  static void add_default_routes(http::router& r) {
    r.get("/", [](const http::exchange_ptr& x) {
       x->respond(http::response::text(200, x->user ? "home of " + std::string(x->user->display_name()) : "home, anonymous"));
     }).anonymous = true;
    r.get("/profile",
          [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "profile of " + std::string(x->user->display_name()))); });
    r.post("/profile", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "saved")); });
    r.post("/comment", [](const http::exchange_ptr& x) {
       x->respond(http::response::text(200, x->user ? "comment by " + std::string(x->user->display_name()) : "comment, anonymous"));
     }).anonymous = true;
    r.get("/admin", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "admin")); }).require_claim("roles", {"Admin"});
    r.get("/ada-only", [](const http::exchange_ptr& x) {
       x->respond(http::response::text(200, "hi Ada"));
     }).require_claim("preferred_username", {"ada@contoso.onmicrosoft.com"});
  }

  void stop() {
    if (!host) return;
    host->stop();
    host->wait();
    host.reset();
  }

  void restart() {
    stop();
    start();
  }

  std::string url(const std::string& path) const { return origin + path; }

  /// What a browser ends on after following a link: redirects followed, the authority's pages
  /// answered, form_post pages submitted; stops at the first page that is the app's own.
  using visit = devauthority::visit;

  visit browse(browser& b, const std::string& method, const std::string& url, const dev::sign_in_options& o = {}, const std::string& form = {}) {
    auto v = devauthority::browse(b, method, url, dev::person_of(o), form);
    INFO((v ? std::string() : v.error()));
    REQUIRE(v);
    return std::move(*v);
  }

  /// Signs in by visiting a protected page; returns where the browser ended.
  visit sign_in(browser& b, const std::string& path = "/profile", const dev::sign_in_options& o = {}) {
    auto v = browse(b, "GET", url(path), o);
    INFO(v.last.body.substr(0, 400));
    REQUIRE(v.last.status == 200);
    return v;
  }

  /// The account's user token for `scopes`, straight from the host's token actor.
  actors::token_service_outcome user_token(const std::string& home_account_id, std::vector<std::string> scopes) {
    std::promise<actors::token_service_outcome> answer;
    host->tokens().acquire_token_for_user(home_account_id, std::move(scopes),
                                          [&](actors::token_service_outcome o) { answer.set_value(std::move(o)); });
    auto future = answer.get_future();
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return future.get();
  }
};

inline std::string ada_account() { return "oid-ada." + dev::tenant_id; }

} // namespace onbehalf::testing::web
