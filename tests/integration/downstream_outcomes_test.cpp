// What a downstream call answers when the API does not simply succeed: bodies that do not fit,
// APIs that are down, cut off or silent, and challenges from real 401 and 403 replies. Each is a
// typed outcome; nothing crashes, and no connection is left behind.
#include "../support/downstream_fixture.hpp"
#include "../support/ports.hpp"
#include "../support/raw_server.hpp"

#include <boost/describe/class.hpp>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::downstream;
using actors::downstream_call_options;

namespace {

using sample_api::profile;

struct todo_change {
  std::optional<std::string> title;
};
BOOST_DESCRIBE_STRUCT(todo_change, (), (title))

void at_profile(downstream_call_options& o) { o.relative_path = "api/profile"; }

actors::call_failure profile_fails(fixture& x, const actors::signed_in_user& user) {
  auto answer = run(x.apis().get_for_user<profile>(user, "TodoList", at_profile));
  REQUIRE_FALSE(answer);
  return answer.error();
}

// A named API at another address than the sample API's.
void point_todo_list_at(config::app_settings& s, const std::string& base_url) { s.downstream_apis[0].base_url = base_url; }

} // namespace

TEST_CASE("downstream outcomes: malformed JSON is an unexpected body, not a crash") {
  fixture x;
  auto ada = x.sign_in();
  x.api.set_faults({sample_api::faults::mode::malformed_json, 0ms});
  auto f = profile_fails(x, ada);
  REQUIRE(f.is<actors::unexpected_body>());
  CHECK(f.as<actors::unexpected_body>()->error.path == "$");
}

TEST_CASE("downstream outcomes: JSON of the wrong types names the member that does not fit") {
  fixture x;
  auto ada = x.sign_in();
  x.api.set_faults({sample_api::faults::mode::wrong_types, 0ms});
  auto f = profile_fails(x, ada);
  REQUIRE(f.is<actors::unexpected_body>());
  CHECK(f.as<actors::unexpected_body>()->error.to_string() == "$.id: expected a string, found an array");
}

TEST_CASE("downstream outcomes: a body over the client's limit is refused as too large") {
  fixture x;
  auto ada = x.sign_in();
  x.api.set_faults({sample_api::faults::mode::huge_body, 0ms});
  auto f = profile_fails(x, ada);
  REQUIRE(f.is<actors::downstream_unreachable>());
  CHECK(f.as<actors::downstream_unreachable>()->cause == http::client_error::response_too_large);
}

TEST_CASE("downstream outcomes: an API that never answers times out as unreachable") {
  fixture x;
  auto ada = x.sign_in();
  x.api.set_faults({sample_api::faults::mode::never_answer, 0ms});
  auto answer = run(x.apis().get_for_user<profile>(ada, "TodoList", [](downstream_call_options& o) {
    o.relative_path = "api/profile";
    o.customize_request = [](http::client_request& r) { r.response_timeout = std::chrono::milliseconds(300); };
  }));
  REQUIRE_FALSE(answer);
  REQUIRE(answer.error().is<actors::downstream_unreachable>());
  CHECK(answer.error().as<actors::downstream_unreachable>()->cause == http::client_error::timeout);
  CHECK(answer.error().suggested_status() == 503);
}

TEST_CASE("downstream outcomes: a connection closed in the middle of the body is unreachable") {
  raw_server cut_off("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\": \"partial");
  fixture x([&](config::app_settings& s) { point_todo_list_at(s, cut_off.base_url()); });
  auto ada = x.sign_in();
  auto f = profile_fails(x, ada);
  REQUIRE(f.is<actors::downstream_unreachable>());
  CHECK(f.as<actors::downstream_unreachable>()->cause == http::client_error::connection_closed);
}

TEST_CASE("downstream outcomes: an API nobody listens for is unreachable, and says which API") {
  testing::closed_port closed;
  fixture x([&](config::app_settings& s) { point_todo_list_at(s, "http://127.0.0.1:" + std::to_string(closed.number())); });
  auto ada = x.sign_in();
  auto f = profile_fails(x, ada);
  REQUIRE(f.is<actors::downstream_unreachable>());
  CHECK(f.as<actors::downstream_unreachable>()->cause == http::client_error::connect_failed);
  CHECK(f.message().find("TodoList") != std::string::npos);
}

TEST_CASE("downstream outcomes: after failures the client's pool holds what it held before") {
  fixture x;
  auto ada = x.sign_in();
  REQUIRE(run(x.apis().get_for_user<profile>(ada, "TodoList", at_profile)));
  auto idle_before = x.services->web().idle_connections();
  for (auto mode : {sample_api::faults::mode::malformed_json, sample_api::faults::mode::huge_body, sample_api::faults::mode::server_error}) {
    x.api.set_faults({mode, 0ms});
    CHECK_FALSE(run(x.apis().get_for_user<profile>(ada, "TodoList", at_profile)));
  }
  x.api.set_faults({});
  REQUIRE(run(x.apis().get_for_user<profile>(ada, "TodoList", at_profile)));
  CHECK(x.services->web().idle_connections() == idle_before);
}

TEST_CASE("downstream outcomes: a 403 insufficient_scope is a challenge for the scope the API names") {
  fixture x;
  auto ada = x.sign_in({dev::todo_api + "/access_as_user"}); // no Todo.ReadWrite yet
  todo_change draft;
  draft.title = "needs more consent";
  auto answer = run(x.apis().post_for_user<todo_change>(ada, "TodoList", draft, [](downstream_call_options& o) {
    o.relative_path = "api/todos";
    o.scopes = {dev::todo_api + "/access_as_user"};
  }));
  REQUIRE_FALSE(answer);
  const auto* c = answer.error().as<actors::challenge>();
  REQUIRE(c);
  CHECK(c->scopes == std::vector<std::string>{dev::todo_api + "/Todo.ReadWrite"});
  CHECK(c->claims.empty());
  CHECK(c->login_hint == "ada@contoso.onmicrosoft.com");
}

TEST_CASE("downstream outcomes: of the scopes a 403 names, those that are not valid scopes are left out") {
  // A quote or backslash in a scope would break the WWW-Authenticate this app writes for scripts.
  raw_server api("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", "
                 "scope=\"api://todo-api/Todo.ReadWrite evil\\\"quote back\\\\slash\"\r\n\r\n");
  fixture x([&](config::app_settings& s) { point_todo_list_at(s, api.base_url()); });
  auto ada = x.sign_in();
  auto f = profile_fails(x, ada);
  const auto* c = f.as<actors::challenge>();
  REQUIRE(c);
  CHECK(c->scopes == std::vector<std::string>{"api://todo-api/Todo.ReadWrite"});
}

TEST_CASE("downstream outcomes: a 403 names a scope on another resource: the scopes of a middle tier's API, asked for with the app's own") {
  // The app calls a middle tier with its own scope for it; the middle tier's 403 names what it
  // lacks downstream. The user consents to that for the middle tier only through the app's scope
  // (combined consent): the challenge asks for the app's scope again, not for Graph's.
  raw_server middle("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", "
                    "scope=\"https://graph.microsoft.com/mail.send\", proposedAction=\"consent\"\r\n\r\n");
  fixture x([&](config::app_settings& s) {
    point_todo_list_at(s, middle.base_url());
    s.downstream_apis[0].scopes = {dev::todo_api + "/access_as_user"};
  });
  auto ada = x.sign_in({dev::todo_api + "/access_as_user"});
  auto f = profile_fails(x, ada);
  const auto* c = f.as<actors::challenge>();
  REQUIRE(c);
  CHECK(c->scopes == std::vector<std::string>{dev::todo_api + "/access_as_user"});
}

TEST_CASE("downstream outcomes: Graph's 403 naming its scope with the resource asks for that scope, though the app names Graph's scopes bare") {
  raw_server graph("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", "
                   "scope=\"https://graph.microsoft.com/mail.send\"\r\n\r\n");
  fixture x([&](config::app_settings& s) { s.downstream_apis[2].base_url = graph.base_url(); });
  auto ada = x.sign_in(graph_scopes);
  auto answer = run(x.apis().call_for_user(ada, "GraphAPI", [](downstream_call_options& o) { o.relative_path = "me"; }));
  REQUIRE_FALSE(answer);
  const auto* c = answer.error().as<actors::challenge>();
  REQUIRE(c);
  CHECK(c->scopes == std::vector<std::string>{"https://graph.microsoft.com/mail.send"});
}

TEST_CASE("downstream outcomes: a 403 insufficient_scope to the app's own token is the API's error, never a user's challenge") {
  // No user can consent to an app role: a challenge here would send the signed-in user round
  // the authority in a loop. The handler gets the API's refusal instead.
  for (bool in_users_request : {false, true}) { // as the app, and with RequestAppToken in a user's request
    INFO(in_users_request);
    raw_server api("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nWWW-Authenticate: Bearer error=\"insufficient_scope\", "
                   "scope=\"api://todo/Todo.ReadWrite.All\"\r\n\r\n");
    fixture x([&](config::app_settings& s) {
      for (auto& a : s.downstream_apis)
        if (a.name == "TodoApp") a.base_url = api.base_url();
    });
    auto ada = x.sign_in();
    auto answer = in_users_request ? run(x.apis().get_for_user<profile>(ada, "TodoApp", at_profile))
                                   : run(x.apis().get_for_app<profile>("TodoApp", at_profile));
    REQUIRE_FALSE(answer);
    CHECK_FALSE(answer.error().is<actors::challenge>());
    const auto* e = answer.error().as<actors::downstream_error>();
    REQUIRE(e);
    CHECK(e->status == 403);
  }
}

TEST_CASE("downstream outcomes: a scope never consented to is a consent challenge, before any call") {
  fixture x;
  auto ada = x.sign_in({dev::todo_api + "/access_as_user"});
  auto answer = run(x.apis().get_for_user<profile>(ada, "GraphAPI", [](downstream_call_options& o) { o.relative_path = "me"; }));
  REQUIRE_FALSE(answer);
  const auto* c = answer.error().as<actors::challenge>();
  REQUIRE(c);
  CHECK(c->reason == identity::interaction_reason::consent_required);
  CHECK(c->scopes == graph_scopes);
  CHECK(x.api.stats().requests == 0);
}

TEST_CASE("downstream outcomes: a claims challenge after a revocation is answered once with a fresh token, silently") {
  fixture x;
  auto ada = x.sign_in();
  REQUIRE(run(x.apis().get_for_user<profile>(ada, "TodoList", at_profile)));
  std::this_thread::sleep_for(1100ms); // the revocation comes a second after the token was issued
  x.api.revoke_sessions("oid-ada");
  auto answer = run(x.apis().get_for_user<profile>(ada, "TodoList", at_profile));
  INFO((answer ? std::string() : answer.error().message()));
  REQUIRE(answer);
  CHECK(x.f.authority.token_requests("refresh_token") == 1);
  CHECK(x.f.authority.recent_token_requests().back().claims.find("\"nbf\"") != std::string::npos);
}

TEST_CASE("downstream outcomes: a claims challenge the authority cannot satisfy silently goes to the user with the claims") {
  fixture x;
  auto ada = x.sign_in();
  x.api.require_authentication_context("oid-ada", "c1");
  auto f = profile_fails(x, ada);
  const auto* c = f.as<actors::challenge>();
  REQUIRE(c);
  CHECK(c->reason == identity::interaction_reason::mfa_required); // the authentication context needs a second factor
  CHECK(c->claims == R"({"access_token":{"acrs":{"essential":true,"value":"c1"}}})");
  CHECK(c->scopes == todo_scopes);
  CHECK(x.api.stats().requests == 1); // the authority refused the token the claims asked for: no second call
  CHECK(x.f.authority.recent_token_requests().back().claims == c->claims);
}

TEST_CASE("downstream outcomes: an authority that is down is a service error, and no call reaches the API") {
  fixture x;
  auto ada = x.sign_in();
  x.f.authority.set_faults({devauthority::faults::mode::unavailable, 0ms, 0s});
  auto answer = run(x.apis().get_for_user<profile>(ada, "GraphAPI", [](downstream_call_options& o) {
    o.relative_path = "me";
    o.scopes = {"user.read"};
  }));
  REQUIRE_FALSE(answer);
  CHECK(answer.error().is<actors::service_error>());
  CHECK(answer.error().suggested_status() == 503);
  CHECK(x.api.stats().requests == 0);
}
