// A web app whose pages call APIs that need more than the user consented to at sign-in: the dev
// authority, the sample API (todos, profile, the Graph subset), a second sample API standing for
// an API under an MFA policy, and an onbehalf host whose routes carry consent policies the way
// the spec's controllers carry [AuthorizeForScopes].
#pragma once

#include "web_app_fixture.hpp"

#include "onbehalf/core/log.hpp"

#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/actors/graph.hpp"
#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/actors/web_authentication.hpp"
#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/sample_api/contract.hpp"
#include "onbehalf/sample_api/sample_api.hpp"

#include <boost/describe/class.hpp>

#include <mutex>

namespace onbehalf::testing::consent {

using actors::downstream_call_options;

inline const std::string graph_scope_key = "DownstreamApis:GraphAPI:Scopes";

using sample_api::profile;

using sample_api::todo_change;

struct todo {
  std::int64_t id = 0;
  std::string title;
};
BOOST_DESCRIBE_STRUCT(todo, (), (id, title))

inline void at(downstream_call_options& o, std::string path) { o.relative_path = std::move(path); }

struct fixture {
  std::unique_ptr<sample_api::server> todo_api;
  std::unique_ptr<sample_api::server> secure_api;
  std::mutex seen_mutex;
  std::vector<std::pair<std::string, std::string>> items_seen; // what the sign-in observer saw last
  web::app_fixture app;

  explicit fixture(std::function<void(config::app_settings&)> adjust = {})
      : app([this, adjust](config::app_settings& s) { configure(s, adjust); }, [this](actors::host& h) { add_routes(h); }) {}

  ~fixture() { app.stop(); }

  void configure(config::app_settings& s, const std::function<void(config::app_settings&)>& adjust) {
    todo_api = start_api({"todo-api-app-id", dev::todo_api}, s.azure_ad.authority);
    secure_api = start_api({"sensitive-app-id", dev::sensitive_api}, s.azure_ad.authority);
    config::downstream_api_options todo;
    todo.name = "TodoList";
    todo.base_url = todo_api->base_url();
    todo.scopes = {web::todo_scope};
    config::downstream_api_options graph;
    graph.name = "GraphAPI";
    graph.base_url = todo_api->base_url() + "/v1.0";
    graph.scopes = {"user.read", "mail.read"};
    config::downstream_api_options secure;
    secure.name = "SecureAPI";
    secure.base_url = secure_api->base_url();
    secure.scopes = {dev::sensitive_api + "/access_as_user"};
    s.downstream_apis = {todo, graph, secure};
    s.host.log_level = "warning"; // tests read what the app logs
    if (adjust) adjust(s);
  }

  static std::unique_ptr<sample_api::server> start_api(sample_api::protected_api audience, const std::string& authority) {
    sample_api::settings s;
    s.port = 0;
    s.authority = authority;
    s.todo = std::move(audience);
    auto api = std::make_unique<sample_api::server>(s);
    REQUIRE(api->start());
    return api;
  }

  // The app's pages, as the spec's controllers: a group sharing one consent policy (the
  // controller's attribute), routes overriding it (an action's own), and one handling the
  // challenge itself.
  void add_routes(actors::host& h) {
    auto& apis = h.downstream_apis();
    h.observe_sign_ins([this](const http::principal&, const std::vector<std::pair<std::string, std::string>>& items) {
      std::lock_guard lock(seen_mutex);
      items_seen = items;
    });
    http::route_group pages(h.routes());
    pages.authorize_for_scopes({.scope_key_section = "DownstreamApis:TodoList:Scopes:0", .return_path_after_post = "/todos"});
    pages.get("/profile", [&apis](http::exchange_ptr x) -> task<void> {
      auto p = actors::or_throw(co_await apis.get_for_user<profile>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/profile"); }));
      x->respond(http::response::text(200, "profile of " + p.display_name));
    });
    pages.get("/api/profile", [&apis](http::exchange_ptr x) -> task<void> {
      auto p = actors::or_throw(co_await apis.get_for_user<profile>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/profile"); }));
      x->respond(http::response::json(200, json::write(p)));
    });
    pages.get("/todos", [&apis](http::exchange_ptr x) -> task<void> {
      auto todos =
          actors::or_throw(co_await apis.get_for_user<std::vector<todo>>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/todos"); }));
      x->respond(http::response::text(200, std::to_string(todos.size()) + " todos"));
    });
    pages.post("/todos", [&apis](http::exchange_ptr x) -> task<void> {
      todo_change draft;
      draft.title = "from a form";
      actors::or_throw(co_await apis.post_for_user<todo_change>(x, "TodoList", draft, [](downstream_call_options& o) { at(o, "api/todos"); }));
      x->respond(http::response::redirect("/todos"));
    });
    pages
        .get("/emails",
             [&apis](http::exchange_ptr x) -> task<void> {
               actors::graph::client graph(apis);
               actors::graph::messages_query q;
               q.top = 5;
               auto messages = actors::or_throw(co_await graph.me_messages(x, q));
               x->respond(http::response::text(200, std::to_string(messages.size()) + " messages"));
             })
        .authorize_for_scopes({.scope_key_section = graph_scope_key});
    pages
        .get("/secure",
             [&apis](http::exchange_ptr x) -> task<void> {
               auto p =
                   actors::or_throw(co_await apis.get_for_user<profile>(x, "SecureAPI", [](downstream_call_options& o) { at(o, "api/profile"); }));
               x->respond(http::response::text(200, "secure profile of " + p.display_name));
             })
        .authorize_for_scopes({.scope_key_section = "DownstreamApis:SecureAPI:Scopes:0"});
    // Asks for a scope no consent will satisfy (the authority never grants it silently).
    pages.get("/loop", [](http::exchange_ptr) -> task<void> {
      actors::challenge again;
      again.scopes = {"user.read"};
      throw actors::call_exception(again);
      co_return;
    });
    pages.get("/dashboard", [&apis](http::exchange_ptr x) -> task<void> {
      profile fallback;
      fallback.display_name = "(profile unavailable)";
      auto p = actors::value_or(co_await apis.get_for_user<profile>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/profile"); }),
                                fallback, "the profile on the dashboard");
      x->respond(http::response::text(200, "dashboard: " + p.display_name));
    });
    // The spec's AdvancedController: the handler takes the challenge as a value, logs it, and
    // sends the user itself, with its own return address and items.
    h.routes().get("/advanced/send-mail", [&apis, &h](http::exchange_ptr x) -> task<void> {
      actors::graph::client graph(apis);
      actors::graph::outgoing_message m;
      m.subject = "Test";
      m.body.content = "Test message";
      auto sent = co_await graph.send_mail(x, m);
      if (sent) co_return void(x->respond(http::response::text(200, "mail sent")));
      if (const auto* c = sent.error().as<actors::challenge>()) {
        log_warning("Consent required; challenging the user", {{"scopes", text::join(c->scopes, ", ")}});
        auto s = actors::sign_in_request::to("/advanced/send-mail");
        s.scopes = c->scopes;
        s.claims = c->claims;
        s.items = {{"consent_attempt", "1"}};
        co_return h.authentication().challenge(x, std::move(s));
      }
      x->respond(actors::failure_page(sent.error(), x->req()));
    });
    // B2C: a page that needs the edit-profile user flow's tokens, as the spec's EditProfile action.
    pages
        .get("/profile/edit",
             [&h](http::exchange_ptr x) -> task<void> {
               actors::token_acquisition_options o;
               o.user_flow = "b2c_1_edit_profile";
               // Named, not a braced list in the co_await: see the g++ 12 note in task.hpp.
               std::vector<std::string> scopes{web::todo_scope};
               actors::or_throw(co_await actors::acquire_token_for_user(h.tokens(), x, scopes, o));
               x->respond(http::response::text(200, "edited: " + std::string(x->user->display_name())));
             })
        .authorize_for_scopes({.scopes = {"openid", "offline_access"}, .user_flow = "b2c_1_edit_profile"});
    // A live page (the spec's Blazor Server todo list): todos over a WebSocket; adding one needs
    // Todo.ReadWrite, which the user has not consented to at first.
    pages.get("/live/todos", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "live todos page")); });
    pages.get("/live/todos/socket", h.live(
                                        "/live/todos",
                                        [&apis](actors::live_connection_ptr c, std::string message) -> task<void> {
                                          auto command = json::parse(message);
                                          const auto* title = command ? command->find("title") : nullptr;
                                          todo_change draft;
                                          draft.title = title && title->if_string() ? *title->if_string() : "untitled";
                                          actors::or_throw(co_await apis.post_for_user<todo_change>(
                                              c->handshake, "TodoList", draft, [](downstream_call_options& o) { at(o, "api/todos"); }));
                                          co_await send_todos(apis, c);
                                        },
                                        [&apis](actors::live_connection_ptr c, std::string) -> task<void> { co_await send_todos(apis, c); }));
    // A handler that looks at the challenge, then hands it back to the route's consent policy.
    pages.get("/rethrow", [&apis](http::exchange_ptr x) -> task<void> {
      actors::graph::client graph(apis);
      auto me = co_await graph.me(x);
      if (!me) {
        if (me.error().is<actors::challenge>()) log_warning("Rethrowing a consent challenge to the route's policy");
        throw actors::call_exception(std::move(me.error()));
      }
      x->respond(http::response::text(200, "me: " + me->display_name));
    });
    // A route that lets a challenge escape without a consent policy.
    h.routes().get("/no-policy", [&apis](http::exchange_ptr x) -> task<void> {
      auto p = actors::or_throw(co_await apis.get_for_user<profile>(x, "GraphAPI", [](downstream_call_options& o) { at(o, "me"); }));
      x->respond(http::response::text(200, p.display_name));
    });
  }

  static task<void> send_todos(actors::downstream_api& apis, actors::live_connection_ptr c) {
    auto todos = actors::or_throw(
        co_await apis.get_for_user<std::vector<todo>>(c->handshake, "TodoList", [](downstream_call_options& o) { at(o, "api/todos"); }));
    json::object message{{"type", "todos"}, {"items", json::to_value(todos)}};
    c->send(json::serialize(message));
  }

  /// The user's cached tokens for a resource, straight from the L1 the host uses.
  std::optional<cache::access_token_records> cached(const std::string& resource) {
    auto bytes = app.host->services().memory_cache().get(cache::keys::user_access_tokens(web::ada_account(), resource));
    if (!bytes) return std::nullopt;
    return cache::access_token_records::decode(*bytes);
  }
};

} // namespace onbehalf::testing::consent

namespace onbehalf::testing::consent {

/// The same app configured for Azure AD B2C: user flows at /tfp/{domain}/{flow}.
inline void as_b2c(config::app_settings& s) {
  auto base = s.azure_ad.authority.substr(0, s.azure_ad.authority.find("/" + dev::tenant_id));
  s.azure_ad.authority.clear();
  s.azure_ad.instance = base + "/";
  s.azure_ad.domain = "contoso.onmicrosoft.com";
  s.azure_ad.sign_up_sign_in_policy_id = "b2c_1_susi";
  s.azure_ad.edit_profile_policy_id = "b2c_1_edit_profile";
  s.azure_ad.reset_password_policy_id = "b2c_1_reset";
}

} // namespace onbehalf::testing::consent
