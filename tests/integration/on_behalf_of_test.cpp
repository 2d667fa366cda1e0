// A middle tier (MIW's AddMicrosoftIdentityWebApi + EnableTokenAcquisitionToCallDownstreamApi):
// the todo API admits a user's token, and its handlers call Graph and the sensitive API for that
// user with tokens the dev authority issues on behalf of the caller's token (Entra's jwt-bearer
// grant). What needs the user — a second factor, consent — goes back to the caller in the form
// client libraries act on.
#include "../support/captured_log.hpp"
#include "../support/concurrent_callers.hpp"
#include "../support/devauthority_fixture.hpp"
#include "../support/redis_server.hpp"
#include "../support/started_host.hpp"
#include "../support/sync_client.hpp"
#include "../support/test_actor_system.hpp"
#include "../support/web_app_fixture.hpp"
#include "test_client.hpp"

#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/actors/host.hpp"
#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/core/base64.hpp"
#include "onbehalf/http/www_authenticate.hpp"
#include "onbehalf/sample_api/sample_api.hpp"

#include <thread>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::dev;

namespace {

const std::string obo_grant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

client_authentication middle_tier_client() {
  return {client_authentication::method::client_secret_post, "todo-api-app-id", secret("todo-api-secret-1"), nullptr};
}

config::app_settings middle_tier_settings(const std::string& authority, const std::string& downstream) {
  config::app_settings s;
  s.azure_ad.authority = authority;
  s.azure_ad.client_id = "todo-api-app-id";
  s.azure_ad.audience = todo_api;
  s.azure_ad.client_credentials = {{config::client_credential::source_type::client_secret, secret("todo-api-secret-1"), {}, {}, {}}};
  s.host.port = 0;
  s.host.io_threads = 1;
  s.host.actor_threads = 2;
  s.host.log_level = "error";
  s.host.cache.backend = config::cache_options::backend_type::memory;
  config::downstream_api_options graph;
  graph.name = "Graph";
  graph.base_url = downstream + "/v1.0";
  graph.scopes = {"https://graph.microsoft.com/.default"};
  config::downstream_api_options secure;
  secure.name = "SecureAPI";
  secure.base_url = downstream;
  secure.scopes = {sensitive_api + "/.default"};
  config::downstream_api_options mail;
  mail.name = "Mail";
  mail.base_url = downstream + "/v1.0";
  mail.scopes = {"mail.send"}; // not among the middle tier's consented permissions
  s.downstream_apis = {graph, secure, mail};
  return s;
}

void at(actors::downstream_call_options& o, const char* path) { o.relative_path = path; }

// Each route answers with the downstream API's body, or lets the failure go to the host.
void add_middle_tier_routes(actors::host& h) {
  auto& apis = h.downstream_apis();
  auto relay = [&apis](const char* api, const char* path) {
    return [&apis, api, path](http::exchange_ptr x) -> task<void> {
      auto r = actors::or_throw(co_await apis.call_for_user(x, api, [path](actors::downstream_call_options& o) { at(o, path); }));
      x->respond(http::response::text(200, r.body));
    };
  };
  h.routes().get("/api/me", relay("Graph", "me")).require_scope({"access_as_user"});
  h.routes().get("/api/secure", relay("SecureAPI", "api/profile")).require_scope({"access_as_user"});
  h.routes().get("/api/mail", relay("Mail", "me")).require_scope({"access_as_user"});
  h.routes().get("/api/either/me", relay("Graph", "me")).require_scope_or_app_permission({"access_as_user"}, {"Todo.Read.All"});
}

struct middle_tier_fixture {
  authority_fixture authority;
  std::unique_ptr<sample_api::server> downstream = start_downstream();
  actors::host host;
  std::uint16_t port = 0;
  std::unique_ptr<http::client> web = make_client();

  explicit middle_tier_fixture(const std::function<void(config::app_settings&)>& adjust = {})
      : host(adjusted(middle_tier_settings(authority.authority.authority(tenant_id), downstream->base_url()), adjust)) {
    add_middle_tier_routes(host);
    port = require_started(host);
  }
  ~middle_tier_fixture() {
    host.stop();
    host.wait();
  }

  std::unique_ptr<sample_api::server> start_downstream() {
    sample_api::settings s;
    s.port = 0;
    s.authority = authority.authority.authority(tenant_id);
    s.todo = {"sensitive-app-id", sensitive_api};
    auto api = std::make_unique<sample_api::server>(s);
    REQUIRE(api->start());
    return api;
  }

  std::string user_token(const sign_in_options& o = {}) {
    browser b(*authority.web, authority.authority.base_url());
    return signed_in_tokens(authority, b, o).access_token.reveal();
  }

  http::client_response get(const std::string& path, const std::string& token) {
    http::client_request r{"GET", "http://127.0.0.1:" + std::to_string(port) + path, {}, {}, {}};
    r.headers.set("Authorization", "Bearer " + token);
    auto reply = send_and_wait(*web, r);
    REQUIRE(reply);
    return *reply;
  }

  std::size_t grants() const { return authority.authority.token_requests(obo_grant); }

  /// Waits (5 s at most) until the authority has answered `count` requests of `grant_type`:
  /// for grants made in the background, after the caller was answered.
  bool authority_saw(const std::string& grant_type, std::size_t count) const {
    for (int i = 0; i < 500 && authority.authority.token_requests(grant_type) < count; ++i) std::this_thread::sleep_for(10ms);
    return authority.authority.token_requests(grant_type) == count;
  }
};

// A middle-tier instance of its own — its memory, its Redis connections, its token actors — as a
// separate process would have, sharing Redis with the others.
struct middle_tier_instance {
  cache::memory_cache l1;
  std::unique_ptr<cache::redis_store> store;
  std::unique_ptr<actors::token_service> tokens;

  middle_tier_instance(testing::test_actor_system& sys, authority_fixture& authority, const testing::redis_server& redis) {
    cache::redis_options o;
    o.connection.endpoints = {{"127.0.0.1", redis.port()}};
    store = cache::redis_store::open(o, *key_ring::make({{"k1", secret(std::string(32, 'k'))}})).value();
    actors::token_service_settings s;
    s.token_endpoint = authority.metadata.token_endpoint;
    s.tenant = tenant_id;
    s.client = middle_tier_client();
    s.web = authority.web.get();
    s.cache = &l1;
    s.store = store.get();
    s.coordination = store.get();
    tokens = std::make_unique<actors::token_service>(*sys.system, s);
  }
  ~middle_tier_instance() { tokens.reset(); }
};

std::string challenge_of(const http::client_response& r) { return std::string(r.headers.find("WWW-Authenticate").value_or("")); }

// A web app's setting up of what stands behind it: the sample API under an MFA policy, and a
// middle tier (an onbehalf host of its own, `adjust`ed) calling it; the app calls the middle tier
// as "Middle" with its user's token.
struct behind_middle_tier {
  std::unique_ptr<sample_api::server> downstream;
  std::unique_ptr<actors::host> middle;

  void start(config::app_settings& s, const std::function<void(config::app_settings&)>& adjust = {}) {
    sample_api::settings api;
    api.port = 0;
    api.authority = s.azure_ad.authority;
    api.todo = {"sensitive-app-id", sensitive_api};
    downstream = std::make_unique<sample_api::server>(api);
    REQUIRE(downstream->start());
    auto tier = middle_tier_settings(s.azure_ad.authority, downstream->base_url());
    if (adjust) adjust(tier);
    middle = std::make_unique<actors::host>(tier);
    add_middle_tier_routes(*middle);
    auto middle_port = middle->start();
    REQUIRE(middle_port);
    config::downstream_api_options m;
    m.name = "Middle";
    m.base_url = "http://127.0.0.1:" + std::to_string(*middle_port);
    m.scopes = {web::todo_scope};
    s.downstream_apis = {m};
  }
  void stop() {
    middle->stop();
    middle->wait();
  }
};

// A web app page that calls the middle tier's `api_path` for its user and shows the answer,
// under a consent policy asking for the app's own scopes for the middle tier.
void add_page_through_middle_tier(actors::host& h, const char* route, const char* api_path) {
  auto& apis = h.downstream_apis();
  h.routes()
      .get(route,
           [&apis, api_path](http::exchange_ptr x) -> task<void> {
             auto r = actors::or_throw(co_await apis.call_for_user(x, "Middle", [api_path](actors::downstream_call_options& o) { at(o, api_path); }));
             x->respond(http::response::text(200, "through the middle tier: " + r.body));
           })
      .authorize_for_scopes({.scope_key_section = "DownstreamApis:Middle:Scopes"});
}

} // namespace

TEST_CASE("on-behalf-of: a web API calls Graph as its caller, with a token the authority issued on behalf of the caller's token") {
  middle_tier_fixture f;
  auto r = f.get("/api/me", f.user_token());
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.body.find("Ada Lovelace") != std::string::npos);
  CHECK(f.grants() == 1);
  auto sent = f.authority.authority.recent_token_requests().back();
  CHECK(sent.grant_type == obo_grant);
  CHECK(sent.scope.find("https://graph.microsoft.com/.default") != std::string::npos);
}

TEST_CASE("on-behalf-of: the same caller token is answered from its cache, and another token of the same user gets a grant of its own") {
  middle_tier_fixture f;
  auto first = f.user_token();
  for (int i = 0; i < 5; ++i) CHECK(f.get("/api/me", first).status == 200);
  CHECK(f.grants() == 1);
  CHECK(f.authority.authority.token_requests("refresh_token") == 0); // nor renewed: the token answers again
  CHECK(f.get("/api/me", f.user_token()).status == 200);
  CHECK(f.grants() == 2); // tokens are kept per caller token, as MSAL keys them
}

TEST_CASE("on-behalf-of: a refresh token the authority no longer takes gives way to the caller's token, which is exchanged again") {
  middle_tier_fixture f([](config::app_settings& s) { s.host.token_refresh_margin = std::chrono::hours(2); }); // every cached token is due
  auto token = f.user_token();
  CHECK(f.get("/api/me", token).status == 200);
  CHECK(f.grants() == 1);
  // Answered from the cache; the token is renewed behind the answer with the grant's refresh token.
  CHECK(f.get("/api/me", token).status == 200);
  CHECK(f.authority_saw("refresh_token", 1));
  f.authority.authority.revoke_user("ada@contoso.onmicrosoft.com");
  // Every request finds the token due; the first after that renewal has landed tries the refresh
  // token again (one still in flight answers from the cache and starts nothing).
  for (int i = 0; i < 200 && f.authority.authority.token_requests("refresh_token") < 2; ++i) {
    CHECK(f.get("/api/me", token).status == 200);
    std::this_thread::sleep_for(10ms);
  }
  CHECK(f.authority_saw("refresh_token", 2)); // refused: its family is revoked
  CHECK(f.authority_saw(obo_grant, 2));       // so the caller's token is exchanged again
  CHECK(f.get("/api/me", token).status == 200);
}

TEST_CASE("on-behalf-of: many requests with one new caller token wait on one grant") {
  middle_tier_fixture f;
  auto token = secret(f.user_token());
  auto answers = ask_concurrently(40, [&](std::function<void(actors::token_service_outcome)> done) {
    f.host.tokens().acquire_token_on_behalf_of(token, {"https://graph.microsoft.com/.default"}, {}, std::move(done));
  });
  CHECK(answers.succeeded == 40);
  CHECK(answers.tokens.size() == 1);
  CHECK(f.grants() == 1);
}

TEST_CASE("on-behalf-of: neither the caller's token nor a token issued for it reaches the debug log, on success or refusal") {
  captured_log log;
  std::string caller;
  {
    middle_tier_fixture f([](config::app_settings& s) { s.host.log_level = "debug"; });
    caller = f.user_token();
    CHECK(f.get("/api/me", caller).status == 200);
    CHECK(f.get("/api/secure", caller).status == 401); // the MFA claims challenge
    CHECK(f.get("/api/mail", caller).status == 403);   // consent nobody gave
    auto forged = caller;
    forged[forged.size() - 10] = forged[forged.size() - 10] == 'A' ? 'B' : 'A';
    CHECK(f.get("/api/me", forged).status == 401);
  }
  logger::global().set_level(log_level::info);
  auto text = log.all();
  CHECK(text.find("challenge goes back to the caller") != std::string::npos); // the refusals were logged
  CHECK(text.find(caller.substr(caller.rfind('.') + 1)) == std::string::npos);
  CHECK(text.find("eyJ") == std::string::npos); // no JWT at all: neither the caller's nor those issued for it
}

TEST_CASE("on-behalf-of: two instances sharing Redis asked at once for one caller token make one grant, and both hand out its token") {
  testing::redis_server redis;
  testing::test_actor_system sys;
  authority_fixture authority;
  middle_tier_instance a(sys, authority, redis), b(sys, authority, redis);
  browser person(*authority.web, authority.authority.base_url());
  auto caller = signed_in_tokens(authority, person).access_token;
  int turn = 0;
  auto answers = ask_concurrently(40, [&](std::function<void(actors::token_service_outcome)> done) {
    auto& at = turn++ % 2 ? a : b;
    at.tokens->acquire_token_on_behalf_of(caller, {"https://graph.microsoft.com/.default"}, {}, std::move(done));
  });
  CHECK(answers.succeeded == 40);
  CHECK(answers.tokens.size() == 1);
  CHECK(authority.authority.token_requests(obo_grant) == 1);
  CHECK(authority.authority.token_requests("refresh_token") == 0);
}

TEST_CASE("on-behalf-of: a downstream API under an MFA policy sends the caller a 401 insufficient_claims carrying the claims, which a new sign-in "
          "satisfies") {
  middle_tier_fixture f;
  auto refused = f.get("/api/secure", f.user_token());
  CHECK(refused.status == 401);
  auto challenges = http::www_authenticate_challenges(refused.headers);
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].param("error") == std::optional<std::string_view>("insufficient_claims"));
  auto claims = base64::decode(challenges[0].param("claims").value_or(""));
  REQUIRE(claims);
  CHECK(claims->find("capolids") != std::string::npos);
  // The caller's client signs its user in again with those claims; the token now carries the
  // second factor, and the same route succeeds.
  sign_in_options o;
  o.claims = *claims;
  auto r = f.get("/api/secure", f.user_token(o));
  INFO(r.body);
  CHECK(r.status == 200);
}

TEST_CASE("on-behalf-of: a permission nobody consented to sends the caller a 403 insufficient_scope naming it, with proposedAction consent") {
  middle_tier_fixture f;
  auto r = f.get("/api/mail", f.user_token());
  CHECK(r.status == 403);
  INFO(challenge_of(r));
  CHECK(challenge_of(r).starts_with("Bearer error=\"insufficient_scope\""));
  CHECK(challenge_of(r).find("scope=\"mail.send\"") != std::string::npos);
  CHECK(challenge_of(r).find("proposedAction=\"consent\"") != std::string::npos);
}

TEST_CASE("on-behalf-of: a caller whose sign-in was revoked gets a 401 asking for a new sign-in (proposedAction login), not for consent") {
  middle_tier_fixture f;
  auto token = f.user_token();
  f.authority.authority.revoke_user("ada@contoso.onmicrosoft.com");
  auto r = f.get("/api/me", token); // the token itself is still good here: signed, not expired
  INFO(r.body);
  CHECK(r.status == 401);
  auto challenges = http::www_authenticate_challenges(r.headers);
  REQUIRE(challenges.size() == 1);
  CHECK(challenges[0].param("error") == std::optional<std::string_view>("invalid_token"));
  CHECK(challenges[0].param("proposedAction") == std::optional<std::string_view>("login"));
  CHECK(f.grants() == 1); // the authority refused it (AADSTS50173)
  // A new sign-in's token is exchanged.
  CHECK(f.get("/api/me", f.user_token()).status == 200);
}

TEST_CASE("on-behalf-of: an application's token is never exchanged for a user's, and the handler's call fails without asking the authority") {
  middle_tier_fixture f;
  auto app = f.authority.redeem(f.authority.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
  REQUIRE(app);
  auto r = f.get("/api/either/me", app->access_token.reveal());
  CHECK(r.status == 500);
  CHECK(f.grants() == 0);
}

TEST_CASE("on-behalf-of: the dev authority refuses an application's token and a token for another audience as assertions, as Entra does") {
  authority_fixture f;
  auto app = f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
  REQUIRE(app);
  auto from_app =
      testing::redeem(*f.web, build_token_request(f.metadata.token_endpoint, middle_tier_client(),
                                                  token_grant::on_behalf_of(app->access_token, {"https://graph.microsoft.com/.default"})));
  REQUIRE_FALSE(from_app);
  CHECK(from_app.error().has_code(7000114));

  browser b(*f.web, f.authority.base_url());
  sign_in_options o;
  o.scopes = {"user.read"}; // a token for Graph, not for the middle tier
  auto graph_token = signed_in_tokens(f, b, o).access_token;
  auto for_graph = testing::redeem(*f.web, build_token_request(f.metadata.token_endpoint, middle_tier_client(),
                                                               token_grant::on_behalf_of(graph_token, {"https://graph.microsoft.com/.default"})));
  REQUIRE_FALSE(for_graph);
  CHECK(for_graph.error().has_code(50013));

  auto forged = graph_token.reveal();
  auto& changed = forged[forged.size() - 10]; // inside the signature
  changed = changed == 'A' ? 'B' : 'A';
  auto unsigned_one =
      testing::redeem(*f.web, build_token_request(f.metadata.token_endpoint, middle_tier_client(),
                                                  token_grant::on_behalf_of(secret(forged), {"https://graph.microsoft.com/.default"})));
  REQUIRE_FALSE(unsigned_one);
  CHECK(unsigned_one.error().has_code(50013));
}

TEST_CASE("on-behalf-of: a claims challenge from behind a middle tier reaches the web app's user, and after a second factor the page is shown") {
  // The web app calls the middle tier with its user's token; the middle tier calls the API under
  // an MFA policy on that user's behalf. The user signed in with a password only.
  behind_middle_tier tiers;
  web::app_fixture app([&](config::app_settings& s) { tiers.start(s); },
                       [](actors::host& h) { add_page_through_middle_tier(h, "/secure", "api/secure"); });
  browser b(*app.web, app.origin);
  auto v = app.sign_in(b, "/secure");
  INFO(v.last.body.substr(0, 300));
  CHECK(v.last_url == app.url("/secure"));
  CHECK(v.last.body.starts_with("through the middle tier: "));
  CHECK(v.last.body.find("Ada Lovelace") != std::string::npos);
  CHECK(std::count(v.authority_pages.pages_seen.begin(), v.authority_pages.pages_seen.end(), "mfa") == 1);
  app.stop();
  tiers.stop();
}

TEST_CASE("on-behalf-of: a permission the middle tier gained since the user consented sends the web app's user back to consent for it, "
          "and then the page is shown") {
  // The middle tier lists the web app among its known clients (Entra's knownClientApplications):
  // a user's consent to the web app calling it covers what the middle tier needs downstream.
  behind_middle_tier tiers;
  web::app_fixture app(
      [&](config::app_settings& s) {
        tiers.start(s, [](config::app_settings& tier) {
          // Asked for by name, beyond .default: Graph's /me needs User.Read, and this middle tier Mail.Send besides.
          tier.downstream_apis[2].scopes = {"https://graph.microsoft.com/user.read", "https://graph.microsoft.com/mail.send"};
        });
      },
      [](actors::host& h) {
        add_page_through_middle_tier(h, "/me", "api/me");
        add_page_through_middle_tier(h, "/mail", "api/mail");
      },
      [](devauthority::directory& d) { d.tenants[0].apps[1].known_client_applications = {client_id}; });
  browser b(*app.web, app.origin);
  auto signed_in = app.sign_in(b, "/me");
  auto shown = [](const web::app_fixture::visit& v, std::string_view scope) {
    const auto& s = v.authority_pages.consent_scopes_shown;
    return std::any_of(s.begin(), s.end(), [&](const std::string& list) { return list.find(scope) != std::string::npos; });
  };
  CHECK(shown(signed_in, "https://graph.microsoft.com/user.read")); // the middle tier's permissions, consented with the web app's

  // The middle tier's registration gains Mail.Send, which nobody consented to yet: its on-behalf-of
  // grant is refused (AADSTS65001), its 403 names the permission, and the web app — which cannot
  // ask for a permission on the middle tier's behalf — sends the user to consent to its own scope
  // for the middle tier again, where the authority asks for the new permission too.
  REQUIRE(app.authority.require_permission("todo-api-app-id", "https://graph.microsoft.com", "mail.send"));
  auto v = app.browse(b, "GET", app.url("/mail"));
  INFO(v.last.body.substr(0, 300));
  CHECK(v.last.status == 200);
  CHECK(v.last_url == app.url("/mail"));
  CHECK(v.last.body.starts_with("through the middle tier: "));
  CHECK(std::count(v.authority_pages.pages_seen.begin(), v.authority_pages.pages_seen.end(), "consent") == 1);
  // Only the middle tier's new permission: the web app itself is granted nothing of Graph's.
  CHECK(v.authority_pages.consent_scopes_shown == std::vector<std::string>{"https://graph.microsoft.com/mail.send"});
  app.stop();
  tiers.stop();
}

TEST_CASE("on-behalf-of: a user whose sessions were revoked is sent by the web app to sign in again when the middle tier asks for it, and then "
          "the page is shown") {
  behind_middle_tier tiers;
  web::app_fixture app([&](config::app_settings& s) { tiers.start(s); },
                       [](actors::host& h) {
                         add_page_through_middle_tier(h, "/me", "api/me");
                         h.routes()
                             .get("/hello", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "hello")); })
                             .authorize_for_scopes({.scope_key_section = "DownstreamApis:Middle:Scopes"});
                       });
  browser b(*app.web, app.origin);
  // Signed in, with a token for the middle tier that the middle tier has not exchanged yet.
  REQUIRE(app.sign_in(b, "/hello").last.body == "hello");
  app.authority.revoke_user("ada@contoso.onmicrosoft.com");
  // The web app's token for the middle tier is still good, but the middle tier's grant is refused
  // (AADSTS50173): its 401 asks for a new sign-in, and the web app sends its user to sign in.
  auto v = app.browse(b, "GET", app.url("/me"));
  INFO(v.last.status << " " << v.last.body.substr(0, 300));
  CHECK(v.last.status == 200);
  CHECK(v.last_url == app.url("/me"));
  CHECK(v.last.body.starts_with("through the middle tier: "));
  CHECK(app.authority.token_requests(obo_grant) == 2); // refused, then the new sign-in's token exchanged
  app.stop();
  tiers.stop();
}
