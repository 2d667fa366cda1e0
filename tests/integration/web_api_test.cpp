// A web API built on onbehalf (MIW's AddMicrosoftIdentityWebApi): routes that admit callers by
// the access token they present, issued by the dev authority for the todo API — users' delegated
// tokens and applications' own — with the answers RFC 6750 asks for when a token is missing,
// wrong, or lacks what a route requires.
#include "../support/consent_app_fixture.hpp"
#include "../support/devauthority_fixture.hpp"
#include "../support/ports.hpp"
#include "../support/started_host.hpp"
#include "../support/sync_client.hpp"
#include "test_client.hpp"

#include "onbehalf/actors/authorization_header_provider.hpp"
#include "onbehalf/actors/host.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::dev;

namespace {

// The todo API's own registration in the dev authority's sample directory.
const std::string api_client_id = "todo-api-app-id";

config::app_settings api_settings(const std::string& authority) {
  config::app_settings s;
  s.azure_ad.authority = authority;
  s.azure_ad.client_id = api_client_id;
  s.azure_ad.audience = todo_api;
  s.azure_ad.client_credentials = {{config::client_credential::source_type::client_secret, secret("todo-api-secret-1"), {}, {}, {}}};
  s.host.port = 0;
  s.host.io_threads = 1;
  s.host.actor_threads = 2;
  s.host.log_level = "error";
  s.host.cache.backend = config::cache_options::backend_type::memory;
  s.values["todoapi:scopes:0"] = "Todo.ReadWrite";
  return s;
}

std::string who(const http::exchange_ptr& x) { return std::string(x->user->is_app ? "app " : "user ") + std::string(x->user->display_name()); }

void add_api_routes(http::router& r) {
  r.get("/api/todos", [](const http::exchange_ptr& x) {
     x->respond(http::response::text(200, "todos of " + who(x)));
   }).require_scope({"access_as_user"});
  r.get("/api/all", [](const http::exchange_ptr& x) {
     x->respond(http::response::text(200, "all todos for " + who(x)));
   }).require_app_permission({"Todo.Read.All"});
  r.get("/api/either", [](const http::exchange_ptr& x) {
     x->respond(http::response::text(200, who(x)));
   }).require_scope_or_app_permission({"access_as_user"}, {"Todo.Read.All"});
  r.get("/api/configured", [](const http::exchange_ptr& x) {
     x->respond(http::response::text(200, who(x)));
   }).accepts_bearer_tokens({.scopes_key = "TodoApi:Scopes"});
  r.get("/api/flow", [](const http::exchange_ptr& x) {
     x->respond(http::response::text(200, "signed in through " + std::string(x->user->claim("tfp").value_or("no user flow"))));
   }).require_scope({"access_as_user"});
  r.get("/page", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "a web app page")); });
}

// A handler that asks for a token to Graph on behalf of its caller: "a token", or why not.
void add_on_behalf_of_route(actors::host& h) {
  h.routes()
      .get("/api/as-caller",
           [&h](http::exchange_ptr x) -> task<void> {
             std::vector<std::string> graph{"https://graph.microsoft.com/.default"};
             auto t = co_await actors::acquire_token_for_user(h.tokens(), actors::signed_in_user(x), graph);
             x->respond(t ? http::response::text(200, "a token") : http::response::text(500, t.error().message()));
           })
      .require_scope({"access_as_user"});
}

struct web_api_fixture {
  authority_fixture authority;
  actors::host host;
  std::uint16_t port = 0;
  std::unique_ptr<http::client> web = make_client();

  explicit web_api_fixture(const std::function<void(config::app_settings&)>& adjust = {})
      : host(adjusted(api_settings(authority.authority.authority(tenant_id)), adjust)) {
    add_api_routes(host.routes());
    add_on_behalf_of_route(host);
    port = require_started(host);
  }
  ~web_api_fixture() {
    host.stop();
    host.wait();
  }

  std::string user_token(const sign_in_options& o = {}) {
    browser b(*authority.web, authority.authority.base_url());
    return signed_in_tokens(authority, b, o).access_token.reveal();
  }
  std::string app_token() {
    auto t = authority.redeem(authority.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
    REQUIRE(t);
    return t->access_token.reveal();
  }

  http::client_response get(const std::string& path, const std::string& authorization) {
    http::client_request r{"GET", "http://127.0.0.1:" + std::to_string(port) + path, {}, {}, {}};
    if (!authorization.empty()) r.headers.set("Authorization", authorization);
    auto reply = send_and_wait(*web, r);
    REQUIRE(reply);
    return *reply;
  }
  http::client_response get_with(const std::string& path, const std::string& token) { return get(path, "Bearer " + token); }

  std::string metrics() {
    auto m = http_get(port, "/metrics");
    REQUIRE(m);
    return m->body;
  }
};

std::string challenge_of(const http::client_response& r) { return std::string(r.headers.find("WWW-Authenticate").value_or("")); }

} // namespace

TEST_CASE("web API: a user's token with the route's scope is admitted as that user") {
  web_api_fixture f;
  auto r = f.get_with("/api/todos", f.user_token());
  CHECK(r.status == 200);
  CHECK(r.body == "todos of user Ada Lovelace");
}

TEST_CASE("web API: an application's token with the route's app permission is admitted as an application") {
  web_api_fixture f;
  auto r = f.get_with("/api/all", f.app_token());
  CHECK(r.status == 200);
  CHECK(r.body.starts_with("all todos for app "));
}

TEST_CASE("web API: a route for users refuses an application's token with 403 insufficient_scope naming the scope, and the reverse") {
  web_api_fixture f;
  auto app_at_user_route = f.get_with("/api/todos", f.app_token());
  CHECK(app_at_user_route.status == 403);
  CHECK(challenge_of(app_at_user_route).starts_with("Bearer error=\"insufficient_scope\""));
  CHECK(challenge_of(app_at_user_route).find("scope=\"access_as_user\"") == std::string::npos); // the app cannot get a scope
  auto user_at_app_route = f.get_with("/api/all", f.user_token());
  CHECK(user_at_app_route.status == 403);
  CHECK(challenge_of(user_at_app_route).starts_with("Bearer error=\"insufficient_scope\""));
}

TEST_CASE("web API: a user's token without the scope a route asks for is refused with the scope named") {
  web_api_fixture f;
  sign_in_options o;
  o.scopes = {todo_api + "/access_as_user"};
  auto r = f.get_with("/api/configured", f.user_token(o)); // the route asks for Todo.ReadWrite, from configuration
  CHECK(r.status == 403);
  CHECK(challenge_of(r).find("scope=\"Todo.ReadWrite\"") != std::string::npos);
  o.scopes = {todo_api + "/Todo.ReadWrite"};
  CHECK(f.get_with("/api/configured", f.user_token(o)).status == 200);
}

TEST_CASE("web API: a route for either admits both, and tells them apart") {
  web_api_fixture f;
  CHECK(f.get_with("/api/either", f.user_token()).body == "user Ada Lovelace");
  CHECK(f.get_with("/api/either", f.app_token()).body.starts_with("app "));
}

TEST_CASE("web API: without a token the answer is 401 with a bare Bearer challenge, never a redirect to sign in") {
  web_api_fixture f;
  for (std::string authorization : {"", "Basic dXNlcjpwYXNz", "Bearer"}) {
    INFO(authorization);
    auto r = f.get("/api/todos", authorization);
    CHECK(r.status == 401);
    CHECK(challenge_of(r) == "Bearer");
    CHECK_FALSE(r.headers.find("Location"));
  }
  // The web app's pages of the same host still send a browser to sign in.
  CHECK(f.get("/page", "").status == 302);
}

TEST_CASE("web API: a bad token is refused with 401 invalid_token and a reason class, nothing of the token") {
  web_api_fixture f;
  auto garbage = f.get_with("/api/todos", "not.a.token");
  CHECK(garbage.status == 401);
  CHECK(challenge_of(garbage) == "Bearer error=\"invalid_token\", error_description=\"the token is not an access token this API reads\"");
  // A token the dev authority issued for Microsoft Graph, not for this API.
  sign_in_options o;
  o.scopes = {"https://graph.microsoft.com/user.read"};
  auto for_graph = f.get_with("/api/todos", f.user_token(o));
  CHECK(for_graph.status == 401);
  CHECK(challenge_of(for_graph) == "Bearer error=\"invalid_token\", error_description=\"the token is for another audience\"");
  auto token = f.user_token();
  auto tampered = token.substr(0, token.rfind('.') + 1) + "AAAA" + token.substr(token.rfind('.') + 5);
  auto bad_signature = f.get_with("/api/todos", tampered);
  CHECK(bad_signature.status == 401);
  CHECK(challenge_of(bad_signature).find("signature does not verify") != std::string::npos);
}

TEST_CASE("web API: a malformed Authorization header, or two of them, is a 400 invalid_request") {
  web_api_fixture f;
  CHECK(f.get("/api/todos", "Bearer a b").status == 400);
  CHECK(f.get("/api/todos", "Bearer \"quoted\"").status == 400);
  auto token = f.app_token();
  auto two = round_trip(f.port, "GET /api/all HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\nAuthorization: Bearer " + token +
                                    "\r\nConnection: close\r\n\r\n");
  REQUIRE(two);
  CHECK(two->status == 400);
}

TEST_CASE("web API: a token a client repeats is verified once, then remembered until it expires") {
  web_api_fixture f;
  auto token = f.app_token();
  for (int i = 0; i < 50; ++i) REQUIRE(f.get_with("/api/all", token).status == 200);
  auto m = f.metrics();
  CHECK(m.find("onbehalf_bearer_tokens_total{outcome=\"verified\"} 1\n") != std::string::npos);
  CHECK(m.find("onbehalf_bearer_tokens_total{outcome=\"remembered\"} 49\n") != std::string::npos);
  CHECK(m.find("onbehalf_bearer_tokens_held 1\n") != std::string::npos);
  // A remembered token is still held to each route's requirements.
  CHECK(f.get_with("/api/todos", token).status == 403);
}

TEST_CASE("web API: after the authority rotates its signing key, tokens signed with the new key are admitted") {
  web_api_fixture f;
  REQUIRE(f.get_with("/api/all", f.app_token()).status == 200);
  http::client_request rotate{"POST", f.authority.authority.base_url() + "/admin/rotate-keys", {}, "", {}};
  rotate.headers.set("Content-Type", "application/x-www-form-urlencoded");
  REQUIRE(send_and_wait(*f.web, rotate)->status == 200);
  auto fresh = f.app_token();
  CHECK(f.get_with("/api/all", fresh).status == 200);
}

TEST_CASE("web API: an authority that cannot be reached gives 503 with Retry-After, and the host keeps serving") {
  authority_fixture signer;
  auto s = api_settings("http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/" + tenant_id + "/v2.0");
  actors::host host(s);
  add_api_routes(host.routes());
  auto port = host.start();
  REQUIRE(port);
  auto token = signer.redeem(signer.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
  REQUIRE(token);
  auto r = round_trip(*port, "GET /api/all HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token->access_token.reveal() +
                                 "\r\nConnection: close\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("Retry-After") == std::optional<std::string>("30"));
  auto health = http_get(*port, "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  host.stop();
  host.wait();
}

TEST_CASE("web API: a route whose configuration key names nothing fails the start, naming the key") {
  authority_fixture a;
  auto s = api_settings(a.authority.authority(tenant_id));
  s.values.clear();
  actors::host host(s);
  add_api_routes(host.routes());
  auto started = host.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().find("TodoApi:Scopes") != std::string::npos);
}

// An Azure AD B2C web API reads the same settings as a B2C web app (Instance, Domain, the user
// flows): its tokens' issuer and keys come from the sign-up-sign-in flow's metadata.
TEST_CASE("web API (B2C): tokens from each of the tenant's user flows are admitted, and say which flow the caller came through") {
  web_api_fixture f(consent::as_b2c);
  for (std::string flow : {"b2c_1_susi", "b2c_1_edit_profile"}) {
    auto metadata = f.authority.discover(tenant_id, flow);
    sign_in_options o;
    o.authorization_endpoint = metadata.authorization_endpoint;
    o.token_endpoint = metadata.token_endpoint;
    o.new_display_name = "Ada King";
    auto r = f.get_with("/api/flow", f.user_token(o));
    INFO(flow << ": " << r.status << " " << r.body << " " << challenge_of(r));
    CHECK(r.status == 200);
    CHECK(r.body == "signed in through " + flow);
  }
  // A token from another tenant of the same authority is not this B2C tenant's.
  auto fabrikam = f.authority.discover(fabrikam_tenant_id);
  auto elsewhere = testing::redeem(
      *f.web, build_token_request(fabrikam.token_endpoint, f.authority.secret_post(), token_grant::client_credentials({todo_api + "/.default"})));
  REQUIRE(elsewhere);
  auto refused = f.get_with("/api/flow", elsewhere->access_token.reveal());
  CHECK(refused.status == 401);
  CHECK(challenge_of(refused).find("another issuer") != std::string::npos);
}

TEST_CASE("web API (B2C): a call on behalf of the caller fails at once naming the setting, as B2C has no on-behalf-of grant, which the dev "
          "authority refuses too") {
  web_api_fixture f(consent::as_b2c);
  auto metadata = f.authority.discover(tenant_id, "b2c_1_susi");
  sign_in_options o;
  o.authorization_endpoint = metadata.authorization_endpoint;
  o.token_endpoint = metadata.token_endpoint;
  auto caller = f.user_token(o);
  auto r = f.get_with("/api/as-caller", caller);
  INFO(r.body);
  CHECK(r.status == 500);
  CHECK(r.body.find("Azure AD B2C does not offer the on-behalf-of flow") != std::string::npos);
  CHECK(r.body.find("AzureAd:SignUpSignInPolicyId") != std::string::npos);
  CHECK(f.authority.authority.token_requests("urn:ietf:params:oauth:grant-type:jwt-bearer") == 0);

  client_authentication middle{client_authentication::method::client_secret_post, "todo-api-app-id", secret("todo-api-secret-1"), nullptr};
  auto asked = testing::redeem(*f.web, build_token_request(metadata.token_endpoint, middle,
                                                           token_grant::on_behalf_of(secret(caller), {"https://graph.microsoft.com/.default"})));
  REQUIRE_FALSE(asked);
  CHECK(asked.error().error == "unsupported_grant_type");
  // Outside B2C the same app and token are exchanged: the refusal is B2C's alone.
  web_api_fixture entra;
  CHECK(entra.get_with("/api/as-caller", entra.user_token()).status == 200);
}
