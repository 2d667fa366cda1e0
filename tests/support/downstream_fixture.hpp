// Downstream calls as a program without the front makes them: the dev authority, the sample API
// validating its tokens, and a token_acquirer_factory configured with three named APIs —
// TodoList (the user's todos), TodoApp (the same API as the app), GraphAPI (the Graph subset).
#pragma once

#include "devauthority_fixture.hpp"

#include "onbehalf/actors/graph.hpp"
#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/sample_api/contract.hpp"
#include "onbehalf/sample_api/sample_api.hpp"

#include <future>

namespace onbehalf::testing::downstream {

using namespace std::chrono_literals;

inline const std::vector<std::string> todo_scopes = {dev::todo_api + "/access_as_user", dev::todo_api + "/Todo.ReadWrite"};
inline const std::vector<std::string> graph_scopes = {"user.read", "mail.read"};

/// Runs a task to completion from the test's thread.
template <class T>
T run(task<T> t) {
  std::promise<T> out;
  auto future = out.get_future();
  start([](task<T> t, std::promise<T>& out) -> task<void> { out.set_value(co_await t); }(std::move(t), out));
  REQUIRE(future.wait_for(20s) == std::future_status::ready);
  return future.get();
}

inline sample_api::settings api_settings_for(const dev::authority_fixture& f, const std::function<void(sample_api::settings&)>& adjust) {
  sample_api::settings s;
  s.port = 0;
  s.authority = f.authority.authority(dev::tenant_id);
  s.todo = {"todo-api-app-id", dev::todo_api};
  s.admin_enabled = true;
  if (adjust) adjust(s);
  return s;
}

struct fixture {
  dev::authority_fixture f;
  sample_api::server api;
  config::app_settings settings;
  std::unique_ptr<actors::token_acquirer_factory> services;
  std::string account; // the signed-in user's home account id

  explicit fixture(const std::function<void(config::app_settings&)>& adjust = {}, const std::function<void(sample_api::settings&)>& adjust_api = {})
      : fixture(
            [adjust](config::app_settings& s, dev::authority_fixture&) {
              if (adjust) adjust(s);
            },
            adjust_api) {}

  /// For settings that name the running authority (its managed-identity endpoints, its tokens).
  explicit fixture(const std::function<void(config::app_settings&, dev::authority_fixture&)>& adjust,
                   const std::function<void(sample_api::settings&)>& adjust_api = {})
      : api(api_settings_for(f, adjust_api)) {
    REQUIRE(api.start());
    auto& s = settings;
    s.azure_ad.authority = f.authority.authority(dev::tenant_id);
    s.azure_ad.tenant_id = dev::tenant_id;
    s.azure_ad.client_id = dev::client_id;
    s.azure_ad.client_credentials = {{config::client_credential::source_type::client_secret, secret("web-app-secret-1"), {}, {}, {}}};
    s.host.cache.backend = config::cache_options::backend_type::memory;
    s.host.actor_threads = 2;
    s.host.log_level = "error";
    config::downstream_api_options todo;
    todo.name = "TodoList";
    todo.base_url = api.base_url();
    todo.scopes = todo_scopes;
    config::downstream_api_options todo_app = todo;
    todo_app.name = "TodoApp";
    todo_app.scopes = {dev::todo_api + "/.default"};
    todo_app.request_app_token = true;
    config::downstream_api_options graph;
    graph.name = "GraphAPI";
    graph.base_url = api.base_url() + "/v1.0";
    graph.scopes = graph_scopes;
    s.downstream_apis = {todo, todo_app, graph};
    if (adjust) adjust(s, f);
    services = std::make_unique<actors::token_acquirer_factory>(s);
    auto built = services->build();
    INFO((built ? std::string() : built.error()));
    REQUIRE(built);
  }
  ~fixture() {
    services.reset(); // its actors and client before the API and authority they talk to
  }

  actors::downstream_api& apis() { return services->downstream_apis(); }

  /// A new app token for the todo API, whatever the cache holds: one grant, with the credential in use.
  actors::token_service_outcome forced_app_token() {
    actors::token_acquisition_options force;
    force.force_refresh = true;
    std::promise<actors::token_service_outcome> answer;
    services->tokens().acquire_token_for_app(dev::todo_api + "/.default", force,
                                             [&](actors::token_service_outcome o) { answer.set_value(std::move(o)); });
    return answer.get_future().get();
  }

  /// Signs a user in at the authority (consenting to `scopes`) and hands the tokens to the token
  /// actors, as a web app's sign-in callback does; returns the user to call on behalf of.
  actors::signed_in_user sign_in(std::vector<std::string> scopes = todo_scopes, std::string user = "ada@contoso.onmicrosoft.com",
                                 std::string password = "ada-password-1") {
    browser b(*f.web, f.authority.base_url());
    dev::sign_in_options o;
    o.scopes = scopes;
    o.user = user;
    o.password = password;
    auto tokens = dev::signed_in_tokens(f, b, o);
    auto id = dev::claims_of(tokens.id_token);
    account = *id.string("oid") + "." + *id.string("tid");
    services->tokens().accept_sign_in_tokens(account, identity::scopes_of_first_resource(scopes), tokens);
    return actors::signed_in_user(account, user, "test-correlation-id");
  }
};

/// What the sample API's /api/echo says it received.
struct echo_token {
  std::string aud;
  std::string oid;
  std::vector<std::string> scp;
  std::vector<std::string> roles;
};
BOOST_DESCRIBE_STRUCT(echo_token, (), (aud, oid, scp, roles))

struct echo {
  std::string method;
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;
  std::string body;
  echo_token token;
};
BOOST_DESCRIBE_STRUCT(echo, (), (method, path, query, headers, body, token))

} // namespace onbehalf::testing::downstream
