// onbehalf's protocol code against an independent, certified OpenID provider (`oidc-provider`
// from npm), so the framework is never only tested against itself.
#include "../support/browser.hpp"
#include "../support/child_process.hpp"
#include "../support/ports.hpp"
#include "../support/self_signed.hpp"
#include "../support/sync_client.hpp"
#include "../support/temp_dir.hpp"
#include "../support/token_client.hpp"

#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/actors/host.hpp"
#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/sample_api/sample_api.hpp"

#include "onbehalf/core/crypto.hpp"
#include "onbehalf/identity/authority_cache.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/identity/discovery.hpp"
#include "onbehalf/identity/id_token.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"
#include <boost/describe/class.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::identity;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

const std::string redirect_uri = "http://127.0.0.1:9/signin-oidc";
const std::string secret_client = "interop-secret-client";
const std::string jwt_client = "interop-jwt-client";
const std::string api_audience = "urn:onbehalf:interop-api";

// The provider, started for the whole run of this file's tests: node is slow to start.
struct provider_fixture {
  temp_dir dir;
  self_signed client_certificate_source{true};
  self_signed next_certificate_source{true}; // registered too: the certificate a rotation brings
  std::uint16_t port = testing::free_loopback_port();
  std::uint16_t app_port = testing::free_loopback_port(); // where the web-app test's host listens
  std::string issuer = "http://127.0.0.1:" + std::to_string(port);
  std::unique_ptr<child_process> node;
  std::unique_ptr<http::client> web;
  provider_metadata metadata;
  key_set keys;
  client_certificate certificate = load_certificate();

  provider_fixture() {
    next_certificate_source.write_pem(dir.path("next.pem"), dir.path("next.pem"));
    auto next = client_certificate::from_file(dir.path("next.pem"));
    REQUIRE(next);
    auto jwk_path = dir.write("client-jwks.json", "{\"keys\":[" + certificate.key().public_part().to_jwk("interop-client-key") + "," +
                                                      next->key().public_part().to_jwk("interop-client-key-next") + "]}");
    std::string script = std::string(ONBEHALF_INTEROP_DIR) + "/provider.mjs";
    if (!std::filesystem::exists(std::string(ONBEHALF_INTEROP_DIR) + "/node_modules/oidc-provider"))
      FAIL("oidc-provider is not installed: run `npm ci --prefix tests/interop` (scripts/test does this)");
    node = std::make_unique<child_process>(std::vector<std::string>{"node", script, std::to_string(port), jwk_path, std::to_string(app_port)},
                                           dir.path("provider.log"));
    web = make_client();
    for (int i = 0; i < 100 && node->running(); ++i) {
      auto reply = send_and_wait(*web, {"GET", metadata_address(issuer), {}, {}, {}});
      if (reply && reply->status == 200) {
        auto parsed = parse_provider_metadata(reply->body);
        REQUIRE(parsed);
        metadata = *parsed;
        auto jwks = send_and_wait(*web, {"GET", metadata.jwks_uri, {}, {}, {}});
        REQUIRE(jwks);
        auto set = key_set::parse(jwks->body);
        REQUIRE(set);
        keys = *set;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    std::ifstream log(dir.path("provider.log"));
    std::string text((std::istreambuf_iterator<char>(log)), {});
    FAIL("oidc-provider did not start:\n" << text);
  }

  client_certificate load_certificate() {
    auto path = dir.path("client.pem");
    client_certificate_source.write_pem(path, path);
    auto loaded = client_certificate::from_file(path);
    REQUIRE(loaded);
    return std::move(*loaded);
  }

  client_authentication secret_post() const {
    return {client_authentication::method::client_secret_post, secret_client, secret("interop-client-secret-0123456789"), nullptr};
  }
  client_authentication private_key_jwt() const { return {client_authentication::method::private_key_jwt, jwt_client, {}, signed_with(certificate)}; }

  struct signed_in {
    std::string code;
    std::string state;
  };

  /// Drives the provider's sign-in and consent pages as a browser would, and returns the code.
  signed_in sign_in(const authorize_request& request) {
    testing::browser b(*web, issuer);
    auto login_page = b.location(b.request("GET", authorize_url(request)));
    auto resume = b.location(b.request("POST", login_page, "prompt=login&login=ada&password=any"));
    auto consent_page = b.location(b.request("GET", resume));
    auto resume_again = b.location(b.request("POST", consent_page, "prompt=consent"));
    auto callback = b.location(b.request("GET", resume_again));
    REQUIRE(callback.starts_with(redirect_uri + "?"));
    auto query = text::form_fields::parse(callback.substr(callback.find('?') + 1));
    REQUIRE(query);
    INFO(callback);
    REQUIRE(query->find("code"));
    return {std::string(*query->find("code")), std::string(query->find("state").value_or(""))};
  }

  result<token_response, token_failure> redeem(const token_http_request& request) { return testing::redeem(*web, request); }
};

provider_fixture& provider() {
  static provider_fixture f;
  return f;
}

authorize_request sign_in_request(const std::string& client_id, const pkce_pair& pkce, const std::string& nonce,
                                  const std::vector<std::string>& scopes = {"api:read"}) {
  authorize_request r;
  r.authorization_endpoint = provider().metadata.authorization_endpoint;
  r.client_id = client_id;
  r.redirect_uri = redirect_uri;
  r.scopes = scopes;
  r.state = crypto::random_token(16);
  r.nonce = nonce;
  r.code_challenge = pkce.challenge;
  r.mode = response_mode::query;
  // OpenID Connect Core section 11: offline_access (a refresh token) needs prompt=consent.
  // Entra ID does not insist on it; spec-strict providers such as oidc-provider do.
  r.prompt = "consent";
  return r;
}

// Signs in with the code flow and returns the redeemed tokens.
token_response code_flow(const client_authentication& client, const std::string& nonce, const std::vector<std::string>& scopes = {"api:read"}) {
  auto pkce = make_pkce();
  auto request = sign_in_request(client.client_id, pkce, nonce, scopes);
  auto signed_in = provider().sign_in(request);
  CHECK(signed_in.state == request.state);
  auto tokens = provider().redeem(build_token_request(provider().metadata.token_endpoint, client,
                                                      token_grant::authorization_code(signed_in.code, redirect_uri, pkce.verifier, scopes)));
  INFO((tokens ? std::string() : tokens.error().message()));
  REQUIRE(tokens);
  return *tokens;
}

id_token_rules rules_for(const std::string& client_id, const std::string& nonce) {
  id_token_rules r;
  r.issuer = provider().metadata.issuer;
  r.audience = client_id;
  r.nonce = nonce;
  return r;
}

} // namespace

TEST_CASE("oidc-provider's discovery document and JWKS are read") {
  auto& p = provider();
  CHECK(p.metadata.issuer == p.issuer);
  CHECK(p.metadata.token_endpoint == p.issuer + "/token");
  CHECK_FALSE(p.metadata.end_session_endpoint.empty());
  CHECK_FALSE(p.keys.keys().empty());
}

TEST_CASE("the code flow with PKCE and client_secret_post yields an id_token that validates") {
  auto tokens = code_flow(provider().secret_post(), "nonce-secret-post");
  auto claims = validate_id_token(tokens.id_token, provider().keys, rules_for(secret_client, "nonce-secret-post"));
  INFO((claims ? std::string() : claims.error().message));
  REQUIRE(claims);
  CHECK(claims->string("sub") == "ada");
  CHECK_FALSE(tokens.refresh_token.empty());
}

TEST_CASE("an id_token from the code flow is refused for a nonce this sign-in did not send") {
  auto tokens = code_flow(provider().secret_post(), "nonce-a");
  auto claims = validate_id_token(tokens.id_token, provider().keys, rules_for(secret_client, "nonce-b"));
  REQUIRE_FALSE(claims);
  CHECK(claims.error().reason == token_rejection::wrong_nonce);
}

TEST_CASE("the access token for the API carries the resource's audience and verifies with the JWKS") {
  auto tokens = code_flow(provider().secret_post(), "nonce-api");
  auto access = parse_jwt(tokens.access_token.reveal());
  REQUIRE(access);
  CHECK(access->claims.string("aud") == api_audience);
  auto* key = provider().keys.find(access->key_id);
  REQUIRE(key);
  CHECK(key->verify(access->algorithm, access->signing_input, access->signature));
}

TEST_CASE("a refresh token is redeemed for a new access token") {
  auto tokens = code_flow(provider().secret_post(), "nonce-refresh");
  auto refreshed = provider().redeem(
      build_token_request(provider().metadata.token_endpoint, provider().secret_post(), token_grant::refresh(tokens.refresh_token, {"api:read"})));
  INFO((refreshed ? std::string() : refreshed.error().message()));
  REQUIRE(refreshed);
  CHECK(refreshed->access_token.reveal() != tokens.access_token.reveal());
}

TEST_CASE("an authorization code can be redeemed only once") {
  auto pkce = make_pkce();
  auto signed_in = provider().sign_in(sign_in_request(secret_client, pkce, "nonce-replay"));
  auto grant = token_grant::authorization_code(signed_in.code, redirect_uri, pkce.verifier, {"api:read"});
  REQUIRE(provider().redeem(build_token_request(provider().metadata.token_endpoint, provider().secret_post(), grant)));
  auto replay = provider().redeem(build_token_request(provider().metadata.token_endpoint, provider().secret_post(), grant));
  REQUIRE_FALSE(replay);
  CHECK(replay.error().error == "invalid_grant");
  CHECK(replay.error().kind == failure_kind::interaction_required);
}

TEST_CASE("a code redeemed with the wrong PKCE verifier is refused") {
  auto pkce = make_pkce();
  auto signed_in = provider().sign_in(sign_in_request(secret_client, pkce, "nonce-pkce"));
  auto wrong = provider().redeem(build_token_request(provider().metadata.token_endpoint, provider().secret_post(),
                                                     token_grant::authorization_code(signed_in.code, redirect_uri, make_pkce().verifier, {})));
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().error == "invalid_grant");
}

TEST_CASE("client credentials with client_secret_post yield an app token for the API") {
  auto tokens = provider().redeem(
      build_token_request(provider().metadata.token_endpoint, provider().secret_post(), token_grant::client_credentials({"api:read"})));
  INFO((tokens ? std::string() : tokens.error().message()));
  REQUIRE(tokens);
  auto access = parse_jwt(tokens->access_token.reveal());
  REQUIRE(access);
  CHECK(access->claims.string("aud") == api_audience);
  CHECK(access->claims.string("sub") == secret_client);
}

TEST_CASE("a wrong client secret is a configuration error naming AzureAd:ClientCredentials") {
  auto client = provider().secret_post();
  client.client_secret = secret("not-the-secret");
  auto tokens = provider().redeem(build_token_request(provider().metadata.token_endpoint, client, token_grant::client_credentials({"api:read"})));
  REQUIRE_FALSE(tokens);
  CHECK(tokens.error().kind == failure_kind::configuration_error);
  CHECK(tokens.error().config_key == "AzureAd:ClientCredentials");
}

TEST_CASE("client credentials with a private_key_jwt certificate assertion yield an app token") {
  auto tokens = provider().redeem(
      build_token_request(provider().metadata.token_endpoint, provider().private_key_jwt(), token_grant::client_credentials({"api:read"})));
  INFO((tokens ? std::string() : tokens.error().message()));
  REQUIRE(tokens);
  CHECK(parse_jwt(tokens->access_token.reveal())->claims.string("sub") == jwt_client);
}

TEST_CASE("the code flow with a private_key_jwt certificate assertion yields an id_token that validates") {
  auto tokens = code_flow(provider().private_key_jwt(), "nonce-jwt");
  CHECK(validate_id_token(tokens.id_token, provider().keys, rules_for(jwt_client, "nonce-jwt")));
}

TEST_CASE("the authority cache fetches oidc-provider's metadata and keys over HTTP, and they validate its id_token") {
  authority_cache cache(provider().issuer, actors::fetch_over(*provider().web));
  std::promise<result<authority_cache::snapshot_ptr, std::string>> fetched;
  cache.get([&fetched](auto outcome) { fetched.set_value(std::move(outcome)); });
  auto future = fetched.get_future();
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  auto snapshot = future.get();
  INFO((snapshot ? std::string() : snapshot.error()));
  REQUIRE(snapshot);

  auto tokens = code_flow(provider().secret_post(), "nonce-cache");
  auto rules = rules_for(secret_client, "nonce-cache");
  rules.issuer = (*snapshot)->metadata.issuer;
  CHECK(validate_id_token(tokens.id_token, (*snapshot)->keys, rules));
}

// --- a web app built on onbehalf signs users in with oidc-provider ---

namespace {

config::app_settings web_app_settings() {
  config::app_settings s;
  s.azure_ad.authority = provider().issuer;
  s.azure_ad.client_id = secret_client;
  s.azure_ad.client_credentials = {{config::client_credential::source_type::client_secret, secret("interop-client-secret-0123456789"), {}, {}, {}}};
  s.host.port = provider().app_port;
  s.host.io_threads = 1;
  s.host.actor_threads = 2;
  s.host.log_level = "error";
  s.host.cache.backend = config::cache_options::backend_type::memory;
  s.host.sign_in.initial_scopes = {"api:read"};
  return s;
}

// Takes a browser through oidc-provider's login and consent pages to the page that posts the
// answer back to the app; returns that page's form fields.
text::form_fields answer_at(testing::browser& b, const std::string& app, const std::string& path, std::string& callback_url) {
  auto challenge = b.request("GET", app + path);
  REQUIRE(challenge.status == 302);
  auto login_page = b.location(b.request("GET", b.location(challenge)));
  auto resume = b.location(b.request("POST", login_page, "prompt=login&login=ada&password=any"));
  auto consent_page = b.location(b.request("GET", resume));
  auto resume_again = b.location(b.request("POST", consent_page, "prompt=consent"));
  auto form_post = b.request("GET", resume_again);
  INFO(form_post.body.substr(0, 600));
  REQUIRE(form_post.status == 200);
  callback_url = testing::browser::form_action(form_post.body);
  text::form_fields fields;
  for (const auto& [name, value] : testing::browser::hidden_fields(form_post.body)) fields.add(name, value);
  return fields;
}

// Signs a browser in at the app through oidc-provider's login and consent pages.
void sign_in_at(testing::browser& b, const std::string& app, const std::string& path) {
  std::string callback_url;
  auto fields = answer_at(b, app, path, callback_url);
  auto callback = b.request("POST", callback_url, fields.encode());
  INFO(callback.body.substr(0, 600));
  REQUIRE(callback.status == 302);
}

} // namespace

TEST_CASE("a web app signs a user in with oidc-provider and serves them as themselves") {
  actors::host host(web_app_settings());
  host.routes().get(
      "/me", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "sub=" + std::string(x->user->claim("sub").value_or("")))); });
  REQUIRE(host.start());
  auto app = "http://127.0.0.1:" + std::to_string(provider().app_port);
  testing::browser b(*provider().web, app);
  std::string callback_url;
  auto fields = answer_at(b, app, "/me", callback_url);
  // oidc-provider names itself in every answer (RFC 9207) and says so in its metadata: an answer
  // without iss, or with another issuer's, is refused and its code left unspent.
  REQUIRE(fields.find("iss") == std::optional<std::string_view>(provider().issuer));
  text::form_fields without_iss, other_iss;
  for (std::string_view name : {"code", "state"}) {
    without_iss.add(std::string(name), std::string(fields.find(name).value_or("")));
    other_iss.add(std::string(name), std::string(fields.find(name).value_or("")));
  }
  other_iss.add("iss", "http://127.0.0.1:9/");
  CHECK(b.request("POST", callback_url, without_iss.encode()).status == 400);
  CHECK(b.request("POST", callback_url, other_iss.encode()).status == 400);
  auto callback = b.request("POST", callback_url, fields.encode());
  INFO(callback.body.substr(0, 600));
  REQUIRE(callback.status == 302);
  auto page = b.request("GET", b.location(callback));
  CHECK(page.status == 200);
  CHECK(page.body == "sub=ada");
  host.stop();
  host.wait();
}

// --- downstream calls with oidc-provider's tokens ---

namespace {

struct interop_todo {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
};
BOOST_DESCRIBE_STRUCT(interop_todo, (), (id, title, done))

struct interop_change {
  std::optional<std::string> title;
  std::optional<bool> done;
};
BOOST_DESCRIBE_STRUCT(interop_change, (), (title, done))

// The sample API, trusting oidc-provider's tokens for its API audience.
std::unique_ptr<sample_api::server> api_for_provider() {
  sample_api::settings s;
  s.port = 0;
  s.authority = provider().issuer;
  s.todo = {api_audience, api_audience};
  auto api = std::make_unique<sample_api::server>(s);
  REQUIRE(api->start());
  return api;
}

} // namespace

TEST_CASE("a web app signed in with oidc-provider calls an API on the user's behalf with every verb, and as the app") {
  auto api = api_for_provider();
  auto settings = web_app_settings();
  settings.host.sign_in.initial_scopes = {"access_as_user", "Todo.ReadWrite"};
  settings.host.sign_in.prompt = "consent"; // oidc-provider issues refresh tokens only then (OIDC Core 11)
  config::downstream_api_options todo;
  todo.name = "TodoList";
  todo.base_url = api->base_url();
  todo.scopes = {"access_as_user", "Todo.ReadWrite"};
  config::downstream_api_options as_app = todo;
  as_app.name = "TodoApp";
  as_app.scopes = {"api:read"};
  as_app.request_app_token = true;
  settings.downstream_apis = {todo, as_app};
  actors::host host(settings);
  auto& apis = host.downstream_apis();
  using actors::downstream_call_options;
  // Each verb once, on the signed-in user's behalf, from one coroutine handler.
  host.routes().get("/todos/round-trip", [&apis](http::exchange_ptr x) -> task<void> {
    std::string log;
    interop_change draft;
    draft.title = "from oidc-provider";
    auto created = co_await apis.post_for_user<interop_change, interop_todo>(x, "TodoList", draft,
                                                                             [](downstream_call_options& o) { o.relative_path = "api/todos"; });
    if (!created) co_return void(x->respond(http::response::text(500, "create: " + created.error().message())));
    auto path = "api/todos/" + std::to_string(created->id);
    auto listed =
        co_await apis.get_for_user<std::vector<interop_todo>>(x, "TodoList", [](downstream_call_options& o) { o.relative_path = "api/todos"; });
    interop_change rename;
    rename.title = "renamed";
    auto put = co_await apis.put_for_user<interop_change, interop_todo>(x, "TodoList", rename,
                                                                        [&path](downstream_call_options& o) { o.relative_path = path; });
    interop_change finish;
    finish.done = true;
    auto patched = co_await apis.patch_for_user<interop_change, interop_todo>(x, "TodoList", finish,
                                                                              [&path](downstream_call_options& o) { o.relative_path = path; });
    auto deleted = co_await apis.delete_for_user(x, "TodoList", [&path](downstream_call_options& o) { o.relative_path = path; });
    auto as_app = co_await apis.call_for_app("TodoApp", [](downstream_call_options& o) { o.relative_path = "api/echo"; });
    log += "created=" + created->title;
    log += " listed=" + std::to_string(listed ? listed->size() : 0);
    log += " put=" + (put ? put->title : put.error().message());
    log += std::string(" patched=") + (patched && patched->done ? "done" : "not done");
    log += std::string(" deleted=") + (deleted ? "yes" : deleted.error().message());
    log += std::string(" app=") + (as_app ? "ok" : as_app.error().message());
    x->respond(http::response::text(200, log));
  });
  REQUIRE(host.start());
  auto app = "http://127.0.0.1:" + std::to_string(provider().app_port);
  testing::browser b(*provider().web, app);
  sign_in_at(b, app, "/todos/round-trip");
  auto page = b.request("GET", app + "/todos/round-trip");
  CHECK(page.body == "created=from oidc-provider listed=1 put=renamed patched=done deleted=yes app=ok");
  host.stop();
  host.wait();
}

TEST_CASE("incremental consent with oidc-provider: a scope the sign-in did not grant sends the user back to consent, and then the call succeeds") {
  auto api = api_for_provider();
  auto settings = web_app_settings();
  settings.host.sign_in.initial_scopes = {"access_as_user"};
  settings.host.sign_in.prompt = "consent";
  config::downstream_api_options todo;
  todo.name = "TodoList";
  todo.base_url = api->base_url();
  todo.scopes = {"access_as_user", "Todo.ReadWrite"};
  settings.downstream_apis = {todo};
  actors::host host(settings);
  auto& apis = host.downstream_apis();
  using actors::downstream_call_options;
  host.routes()
      .get("/todos",
           [&apis](http::exchange_ptr x) -> task<void> {
             auto todos = actors::or_throw(co_await apis.get_for_user<std::vector<interop_todo>>(
                 x, "TodoList", [](downstream_call_options& o) { o.relative_path = "api/todos"; }));
             x->respond(http::response::text(200, std::to_string(todos.size()) + " todos"));
           })
      .authorize_for_scopes({.scope_key_section = "DownstreamApis:TodoList:Scopes"});
  REQUIRE(host.start());
  auto app = "http://127.0.0.1:" + std::to_string(provider().app_port);
  testing::browser b(*provider().web, app);
  sign_in_at(b, app, "/todos"); // consents to access_as_user only
  auto needs_more = b.request("GET", app + "/todos");
  INFO(needs_more.status << " " << needs_more.body.substr(0, 300));
  REQUIRE(needs_more.status == 302); // to the provider, for the scope it lacks
  CHECK(b.location(needs_more).find("Todo.ReadWrite") != std::string::npos);
  // The provider remembers the sign-in: it asks for consent only, then posts back to the app.
  auto interaction = b.location(b.request("GET", b.location(needs_more)));
  auto resume = b.location(b.request("POST", interaction, "prompt=consent"));
  auto form_post = b.request("GET", resume);
  INFO(form_post.body.substr(0, 600));
  REQUIRE(form_post.status == 200);
  text::form_fields fields;
  for (const auto& [name, value] : testing::browser::hidden_fields(form_post.body)) fields.add(name, value);
  auto callback = b.request("POST", testing::browser::form_action(form_post.body), fields.encode());
  REQUIRE(callback.status == 302);
  CHECK(b.location(callback) == app + "/todos");
  auto page = b.request("GET", app + "/todos");
  CHECK(page.status == 200);
  CHECK(page.body == "0 todos");
  host.stop();
  host.wait();
}

namespace {

// A web API on onbehalf admitting oidc-provider's RFC 9068 tokens for `audience`.
config::app_settings web_api_settings(const std::string& audience) {
  config::app_settings s;
  s.azure_ad.authority = provider().issuer;
  s.azure_ad.client_id = secret_client;
  s.azure_ad.audience = audience;
  s.azure_ad.client_credentials = {{config::client_credential::source_type::client_secret, secret("interop-client-secret-0123456789"), {}, {}, {}}};
  s.host.port = 0;
  s.host.io_threads = 1;
  s.host.actor_threads = 2;
  s.host.log_level = "error";
  s.host.cache.backend = config::cache_options::backend_type::memory;
  return s;
}

std::int64_t token_exchanges() {
  auto reply = send_and_wait(*provider().web, {"GET", provider().issuer + "/admin/grants", {}, {}, {}});
  REQUIRE(reply);
  auto counts = json_object::parse(reply->body);
  REQUIRE(counts);
  return counts->integer("token_exchange").value_or(-1);
}

std::string provider_log() {
  std::ifstream log(provider().dir.path("provider.log"));
  return std::string((std::istreambuf_iterator<char>(log)), {});
}

http::client_response get_with_token(std::uint16_t port, const std::string& path, const secret& token) {
  http::client_request r{"GET", "http://127.0.0.1:" + std::to_string(port) + path, {}, {}, {}};
  r.headers.set("Authorization", "Bearer " + token.reveal());
  auto reply = send_and_wait(*provider().web, r);
  REQUIRE(reply);
  return *reply;
}

} // namespace

TEST_CASE("on-behalf-of with oidc-provider: a middle tier exchanges its caller's token (RFC 8693) and the downstream API admits the result") {
  // The downstream API admits only tokens for its own audience, with its scope.
  actors::host downstream(web_api_settings("urn:onbehalf:interop-downstream"));
  downstream.routes()
      .get("/whoami",
           [](const http::exchange_ptr& x) {
             x->respond(http::response::text(200, "sub=" + std::string(x->user->claim("sub").value_or("")) +
                                                      " client=" + std::string(x->user->claim("client_id").value_or(""))));
           })
      .require_scope({"downstream:read"});
  auto downstream_port = downstream.start();
  REQUIRE(downstream_port);

  auto settings = web_api_settings(api_audience);
  settings.azure_ad.on_behalf_of_grant = "TokenExchange";
  config::downstream_api_options next;
  next.name = "Downstream";
  next.base_url = "http://127.0.0.1:" + std::to_string(*downstream_port);
  next.scopes = {"downstream:read"};
  settings.downstream_apis = {next};
  actors::host middle(settings);
  auto& apis = middle.downstream_apis();
  middle.routes()
      .get("/api/relay",
           [&apis](http::exchange_ptr x) -> task<void> {
             auto r = actors::or_throw(
                 co_await apis.call_for_user(x, "Downstream", [](actors::downstream_call_options& o) { o.relative_path = "whoami"; }));
             x->respond(http::response::text(200, r.body));
           })
      .require_scope({"access_as_user"});
  auto middle_port = middle.start();
  REQUIRE(middle_port);

  auto before = token_exchanges();
  auto caller = code_flow(provider().secret_post(), "nonce-obo", {"access_as_user"});
  auto first = get_with_token(*middle_port, "/api/relay", caller.access_token);
  INFO(first.body << "\n" << provider_log());
  CHECK(first.status == 200);
  CHECK(first.body == "sub=ada client=" + secret_client);
  CHECK(token_exchanges() == before + 1);
  CHECK(get_with_token(*middle_port, "/api/relay", caller.access_token).status == 200);
  CHECK(token_exchanges() == before + 1); // the exchanged token is kept for the caller's token

  // The caller's token itself is not a token for the downstream API.
  CHECK(get_with_token(*downstream_port, "/whoami", caller.access_token).status == 401);
  middle.stop();
  middle.wait();
  downstream.stop();
  downstream.wait();
}

// --- credentials from configuration ---

namespace {

actors::token_service_outcome app_token(actors::token_acquirer_factory& services) {
  actors::token_acquisition_options force;
  force.force_refresh = true; // each time a grant, with the credential in use now
  std::promise<actors::token_service_outcome> answer;
  services.tokens().acquire_token_for_app("api:read", force, [&](actors::token_service_outcome o) { answer.set_value(std::move(o)); });
  auto future = answer.get_future();
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  return future.get();
}

// Writes `source` over `path` as cert-manager does: a new file renamed into place.
void rotate_to(const self_signed& source, const std::string& path) {
  source.write_pem(path + ".new", path + ".new");
  std::filesystem::rename(path + ".new", path);
}

} // namespace

TEST_CASE("credentials from configuration with oidc-provider: a secret it refuses gives way to a certificate file, read again when rotated") {
  temp_dir dir;
  auto path = dir.path("credential.pem");
  rotate_to(provider().client_certificate_source, path);
  config::app_settings s;
  s.azure_ad.authority = provider().issuer;
  s.azure_ad.client_id = jwt_client;
  config::client_credential not_its_secret;
  not_its_secret.client_secret = secret("a-secret-this-client-never-had");
  config::client_credential certificate_file;
  certificate_file.type = config::client_credential::source_type::path;
  certificate_file.certificate_disk_path = path;
  s.azure_ad.client_credentials = {not_its_secret, certificate_file};
  s.host.cache.backend = config::cache_options::backend_type::memory;
  s.host.actor_threads = 2;
  s.host.log_level = "error";
  actors::token_acquirer_factory services(s);
  auto built = services.build();
  INFO((built ? std::string() : built.error()));
  REQUIRE(built);

  auto first = app_token(services);
  INFO((first ? std::string() : first.error().message()));
  REQUIRE(first);
  CHECK(parse_jwt(first->access_token.reveal())->claims.string("sub") == jwt_client);

  // A certificate the provider does not know, written over the file: the next grant signs with it
  // (and is refused), which shows the file is read again without a restart.
  self_signed unregistered{true};
  rotate_to(unregistered, path);
  CHECK_FALSE(app_token(services));

  // The rotation the provider was told of: the registered next certificate.
  rotate_to(provider().next_certificate_source, path);
  auto after_rotation = app_token(services);
  INFO((after_rotation ? std::string() : after_rotation.error().message()));
  CHECK(after_rotation);
}
