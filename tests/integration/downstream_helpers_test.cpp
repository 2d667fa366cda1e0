// What sits on top of named downstream APIs: fan-out of concurrent calls, the Graph helper with
// paging, the token credential and the authorization header provider, and HTTPS to an API whose
// certificate a configured CA bundle vouches for.
#include "../support/downstream_fixture.hpp"
#include "../support/raw_server.hpp"
#include "../support/self_signed.hpp"
#include "../support/sync_client.hpp"
#include "../support/temp_dir.hpp"

#include "onbehalf/identity/access_token.hpp"

#include <boost/describe/class.hpp>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::downstream;
using actors::downstream_call_options;

namespace {

using sample_api::profile;

struct todo {
  std::int64_t id = 0;
};
BOOST_DESCRIBE_STRUCT(todo, (), (id))

const std::vector<std::string> everything = {dev::todo_api + "/access_as_user", dev::todo_api + "/Todo.ReadWrite", "user.read", "mail.read"};

// Three calls to two APIs from one handler, awaited together.
task<std::tuple<actors::call_result<profile>, actors::call_result<std::vector<todo>>, actors::call_result<actors::graph::user>>>
fan_out(actors::downstream_api& apis, actors::graph::client& graph, actors::signed_in_user user) {
  co_return co_await when_all(
      apis.get_for_user<profile>(user, "TodoList", [](downstream_call_options& o) { o.relative_path = "api/profile"; }),
      apis.get_for_user<std::vector<todo>>(user, "TodoList", [](downstream_call_options& o) { o.relative_path = "api/todos"; }), graph.me(user));
}

} // namespace

TEST_CASE("fan-out: three calls from one handler are in flight at the API at once, each with its own outcome") {
  fixture x;
  auto ada = x.sign_in(everything);
  actors::graph::client graph(x.apis());
  REQUIRE(run(graph.me(ada))); // the Graph token, so the fan-out below needs no grant
  x.api.reset_statistics();
  x.api.set_faults({sample_api::faults::mode::none, 300ms});
  auto [p, todos, me] = run(fan_out(x.apis(), graph, ada));
  CHECK(p);
  CHECK(todos);
  REQUIRE(me);
  CHECK(me->display_name == "Ada Lovelace");
  CHECK(x.api.stats().max_in_flight == 3);
}

TEST_CASE("fan-out: one failing branch does not hide the others' answers") {
  fixture x;
  auto ada = x.sign_in({dev::todo_api + "/access_as_user", dev::todo_api + "/Todo.ReadWrite"}); // no Graph consent
  actors::graph::client graph(x.apis());
  auto [p, todos, me] = run(fan_out(x.apis(), graph, ada));
  CHECK(p);
  CHECK(todos);
  REQUIRE_FALSE(me);
  CHECK(me.error().is<actors::challenge>());
}

TEST_CASE("graph: me() reads the signed-in user from Graph") {
  fixture x;
  auto grace = x.sign_in(graph_scopes, "grace@contoso.onmicrosoft.com", "grace-password-1");
  actors::graph::client graph(x.apis());
  auto me = run(graph.me(grace));
  REQUIRE(me);
  CHECK(me->display_name == "Grace Hopper");
  CHECK(me->user_principal_name == "grace@contoso.onmicrosoft.com");
}

TEST_CASE("graph: me_messages follows @odata.nextLink until it has as many messages as asked for") {
  fixture x;
  auto ada = x.sign_in(graph_scopes);
  actors::graph::client graph(x.apis());
  actors::graph::messages_query q;
  q.top = 15; // the sample API, like Graph, pages at 10
  auto messages = run(graph.me_messages(ada, q));
  REQUIRE(messages);
  REQUIRE(messages->size() == 15);
  CHECK(messages->front().id == "msg-1");
  CHECK(messages->back().id == "msg-15");
  CHECK(x.api.stats().requests == 2);
  q.top = 100;
  auto all = run(graph.me_messages(ada, q));
  REQUIRE(all);
  CHECK(all->size() == 23);
}

TEST_CASE("graph: $select and $filter reach Graph and shape what comes back") {
  fixture x;
  auto ada = x.sign_in(graph_scopes);
  actors::graph::client graph(x.apis());
  actors::graph::messages_query q;
  q.top = 50;
  q.select = {"subject"};
  q.filter = "isRead eq false";
  auto unread = run(graph.me_messages(ada, q));
  REQUIRE(unread);
  CHECK(unread->size() == 16); // 23 messages, every third one read
  CHECK(unread->front().subject);
  CHECK_FALSE(unread->front().is_read);
  CHECK_FALSE(unread->front().body_preview);
}

TEST_CASE("graph: a next link to another host is not followed, so the user's token goes nowhere else") {
  const std::string page = R"({"value":[{"id":"m1"}],"@odata.nextLink":"https://evil.example/v1.0/me/messages?$skip=1"})";
  raw_server graph_lookalike(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " + std::to_string(page.size()) + "\r\n\r\n" + page);
  fixture x([&](config::app_settings& s) { s.downstream_apis[2].base_url = graph_lookalike.base_url() + "/v1.0"; });
  auto ada = x.sign_in(graph_scopes);
  actors::graph::client graph(x.apis());
  auto messages = run(graph.me_messages(ada));
  REQUIRE(messages);
  CHECK(messages->size() == 1);
}

TEST_CASE("graph: a scope the user never consented to is a challenge naming the API's scopes") {
  fixture x;
  auto ada = x.sign_in({"user.read"});
  actors::graph::client graph(x.apis());
  auto messages = run(graph.me_messages(ada));
  REQUIRE_FALSE(messages);
  const auto* c = messages.error().as<actors::challenge>();
  REQUIRE(c);
  CHECK(c->scopes == graph_scopes);
}

TEST_CASE("token credential: an app credential's token is for the resource of its .default scope") {
  fixture x;
  auto credential = x.services->app_credential();
  auto token = run(credential.get_token({dev::todo_api + "/.default"}));
  REQUIRE(token);
  CHECK(token->expires_on > std::chrono::system_clock::now() + 50min);
  auto claims = dev::claims_of(token->token.reveal());
  CHECK(claims.string("aud") == "todo-api-app-id");
  CHECK(identity::roles_of(claims) == std::vector<std::string>{"Todo.Read.All", "Todo.ReadWrite.All"});
}

TEST_CASE("token credential: an app credential refuses scopes that are not one .default scope") {
  fixture x;
  auto token = run(x.services->app_credential().get_token({"user.read", "mail.read"}));
  REQUIRE_FALSE(token);
  CHECK(token.error().is<actors::configuration_error>());
}

TEST_CASE("token credential: a user credential's token carries the user and the scopes") {
  fixture x;
  auto ada = x.sign_in(graph_scopes);
  auto token = run(x.services->user_credential(ada).get_token({"mail.read"}));
  REQUIRE(token);
  auto claims = dev::claims_of(token->token.reveal());
  CHECK(claims.string("oid") == "oid-ada");
  CHECK(claims.string("aud") == "00000003-0000-0000-c000-000000000000");
}

TEST_CASE("authorization header provider: a hand-built request with the header is accepted by the API") {
  fixture x;
  auto ada = x.sign_in();
  auto header = run(x.services->authorization_headers().create_for_user(ada, {dev::todo_api + "/access_as_user"}));
  REQUIRE(header);
  CHECK(header->starts_with("Bearer eyJ"));
  http::client_request r{"GET", x.api.base_url() + "/api/profile", {}, {}, {}};
  r.headers.set("Authorization", *header);
  r.headers.set("X-Custom-Header", "custom-value");
  auto reply = send_and_wait(*x.f.web, r);
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body.find("Ada Lovelace") != std::string::npos);
}

TEST_CASE("authorization header provider: the app's header, and a user with no sign-in gets a challenge") {
  fixture x;
  auto app = run(x.services->authorization_headers().create_for_app(dev::todo_api + "/.default"));
  REQUIRE(app);
  CHECK(app->starts_with("Bearer eyJ"));
  auto nobody =
      run(x.services->authorization_headers().create_for_user(actors::signed_in_user("nobody.tenant"), {dev::todo_api + "/access_as_user"}));
  REQUIRE_FALSE(nobody);
  REQUIRE(nobody.error().is<actors::challenge>());
  CHECK(nobody.error().as<actors::challenge>()->reason == identity::interaction_reason::login_required);
}

TEST_CASE("HTTPS: an API whose certificate the configured CA bundle vouches for is called — without it, the call fails verification") {
  temp_dir dir;
  auto files = write_self_signed_certificate(dir.path(""));
  auto tls = [&](sample_api::settings& s) {
    s.tls_certificate_path = files.certificate_path;
    s.tls_key_path = files.key_path;
  };
  {
    fixture trusted([&](config::app_settings& s) { s.host.ca_bundle_path = files.certificate_path; }, tls);
    REQUIRE(trusted.api.base_url().starts_with("https://"));
    CHECK(run(trusted.apis().get_for_app<std::vector<todo>>("TodoApp", [](downstream_call_options& o) { o.relative_path = "api/todos"; })));
  }
  fixture untrusted(std::function<void(config::app_settings&)>{}, tls);
  auto answer = run(untrusted.apis().get_for_app<std::vector<todo>>("TodoApp", [](downstream_call_options& o) { o.relative_path = "api/todos"; }));
  REQUIRE_FALSE(answer);
  REQUIRE(answer.error().is<actors::downstream_unreachable>());
  CHECK(answer.error().as<actors::downstream_unreachable>()->cause == http::client_error::tls_failed);
}
