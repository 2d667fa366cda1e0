// Incremental consent and conditional access end to end: a browser, the dev authority, the
// sample API and an onbehalf host whose routes carry consent policies. Each test says where the
// user ends up and what the token cache holds afterwards.
#include "../support/captured_log.hpp"
#include "../support/consent_app_fixture.hpp"
#include "../support/websocket_client.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::consent;

namespace {

const std::string graph = "https://graph.microsoft.com";

std::string header(const http::client_response& r, std::string_view name) { return std::string(r.headers.find(name).value_or("")); }

bool saw(const web::app_fixture::visit& v, const std::string& page) {
  return std::find(v.authority_pages.pages_seen.begin(), v.authority_pages.pages_seen.end(), page) != v.authority_pages.pages_seen.end();
}

bool cached_for(fixture& f, const std::string& resource, const std::string& scope) {
  auto records = f.cached(resource);
  return records && records->best_for({scope}, std::chrono::system_clock::now());
}

} // namespace

TEST_CASE("consent: signing in consents to the initial scopes up front, and the page calls the API") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  auto v = f.app.sign_in(b, "/profile");
  CHECK(v.last.body == "profile of Ada Lovelace");
  CHECK(saw(v, "consent"));
  CHECK(cached_for(f, dev::todo_api, web::todo_scope));
}

TEST_CASE("consent: a page that needs Mail.Read sends the user to consent once, back to the same address, and the token is cached") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  auto v = f.app.browse(b, "GET", f.app.url("/emails?folder=inbox&top=5"));
  CHECK(v.last.status == 200);
  CHECK(v.last.body == "5 messages");
  CHECK(v.last_url == f.app.url("/emails?folder=inbox&top=5"));
  CHECK(saw(v, "consent"));
  CHECK_FALSE(saw(v, "sign-in")); // the authority's session: no password again
  auto shown = v.authority_pages.consent_scopes_shown;
  CHECK(std::find(shown.begin(), shown.end(), graph + "/mail.read") != shown.end());
  CHECK(cached_for(f, graph, "mail.read"));

  auto again = f.app.browse(b, "GET", f.app.url("/emails"));
  CHECK(again.last.body == "5 messages");
  CHECK(again.authority_pages.pages_seen.empty());
}

TEST_CASE("consent: a POST that needs consent lands on the policy's page, and the next POST succeeds") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  // Writing needs Todo.ReadWrite, which sign-in did not ask for: the API answers 403 insufficient_scope.
  auto v = f.app.browse(b, "POST", f.app.url("/todos"), {}, "title=ignored");
  CHECK(v.last_url == f.app.url("/todos"));
  CHECK(v.last.body == "0 todos"); // a browser cannot repeat the POST after the round trip
  CHECK(saw(v, "consent"));
  CHECK(cached_for(f, dev::todo_api, dev::todo_api + "/Todo.ReadWrite"));
  auto posted = f.app.browse(b, "POST", f.app.url("/todos"), {}, "title=again");
  CHECK(posted.last.body == "1 todos");
  CHECK(posted.authority_pages.pages_seen.empty());
}

TEST_CASE("conditional access: an API under an MFA policy takes the user through the second factor, and its token says so") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  auto v = f.app.browse(b, "GET", f.app.url("/secure"));
  CHECK(v.last.body == "secure profile of Ada Lovelace");
  CHECK(saw(v, "mfa"));
  auto records = f.cached(dev::sensitive_api);
  REQUIRE(records);
  auto token = records->best_for({dev::sensitive_api + "/access_as_user"}, std::chrono::system_clock::now());
  REQUIRE(token);
  CHECK(dev::claims_of(token->token).strings("amr") == std::vector<std::string>{"pwd", "mfa"});
}

TEST_CASE("conditional access: an API's claims challenge sends the user to the authority with the claims, and the new token satisfies them") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  f.todo_api->require_authentication_context("oid-ada", "c1");
  auto v = f.app.browse(b, "GET", f.app.url("/profile"));
  CHECK(v.last.body == "profile of Ada Lovelace");
  CHECK(saw(v, "mfa"));
  auto records = f.cached(dev::todo_api);
  REQUIRE(records);
  bool satisfied = false;
  for (const auto& t : records->all()) satisfied = satisfied || dev::claims_of(t.token).strings("acrs") == std::vector<std::string>{"c1"};
  CHECK(satisfied);
}

TEST_CASE("consent: a script's request gets 401 with WWW-Authenticate naming the scopes and where to send the user, never a redirect") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  http::header_list xhr;
  xhr.set("X-Requested-With", "XMLHttpRequest");
  auto r = b.request("GET", f.app.url("/emails"), {}, xhr);
  CHECK(r.status == 401);
  auto challenge = header(r, "WWW-Authenticate");
  CHECK(challenge.starts_with("OpenIdConnect error=\"consent_required\""));
  CHECK(challenge.find("scope=\"user.read mail.read\"") != std::string::npos);
  CHECK(challenge.find("authorization_uri=\"" + f.app.url("/MicrosoftIdentity/Account/Challenge?")) != std::string::npos);
  CHECK(header(r, "Location").empty());
  // Following the authorization_uri, as the page's script would, consents and comes back.
  auto uri = challenge.substr(challenge.find("authorization_uri=\"") + 19);
  uri = uri.substr(0, uri.find('"'));
  auto v = f.app.browse(b, "GET", uri);
  CHECK(v.last_url == f.app.url("/emails"));
  CHECK(v.last.body == "5 messages");
}

TEST_CASE("consent: a challenge that comes again right after the user completed it ends on an error page, not a loop") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  auto v = f.app.browse(b, "GET", f.app.url("/loop"));
  CHECK(v.last.status == 403);
  CHECK(v.last.body.find("could not be granted") != std::string::npos);
  CHECK(std::count(v.authority_pages.pages_seen.begin(), v.authority_pages.pages_seen.end(), "consent") == 1);
}

TEST_CASE("manual handling: a handler takes the challenge as a value and sends the user itself, with its own address and items") {
  fixture f([](config::app_settings& s) { s.downstream_apis[1].scopes = {"user.read", "mail.read", "mail.send"}; });
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  captured_log log;
  auto v = f.app.browse(b, "GET", f.app.url("/advanced/send-mail"));
  CHECK(v.last.body == "mail sent");
  CHECK(v.last_url == f.app.url("/advanced/send-mail"));
  CHECK(log.all().find("Consent required; challenging the user") != std::string::npos);
  std::lock_guard lock(f.seen_mutex);
  CHECK(f.items_seen == std::vector<std::pair<std::string, std::string>>{{"consent_attempt", "1"}});
}

TEST_CASE("degradation: with the authority down, a page needing a new token is a 503 with Retry-After and nothing of the authority's words") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  f.app.authority.set_faults({devauthority::faults::mode::unavailable, std::chrono::milliseconds(0), std::chrono::seconds(0)});
  auto r = b.request("GET", f.app.url("/emails"));
  CHECK(r.status == 503);
  CHECK_FALSE(header(r, "Retry-After").empty());
  CHECK(r.body.find("try again") != std::string::npos);
  CHECK(r.body.find("injected") == std::string::npos);
  CHECK(r.body.find("AADSTS") == std::string::npos);
}

TEST_CASE("degradation: with the API down, the page is a 503 saying a service is unavailable") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  f.todo_api->stop();
  f.todo_api->wait();
  auto r = b.request("GET", f.app.url("/todos"));
  CHECK(r.status == 503);
  CHECK(r.body.find("cannot be reached") != std::string::npos);
}

TEST_CASE("degradation: the dashboard shows defaults when its optional data fails, and logs why") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  f.todo_api->set_faults({sample_api::faults::mode::server_error, std::chrono::milliseconds(0)});
  captured_log log;
  auto r = b.request("GET", f.app.url("/dashboard"));
  CHECK(r.status == 200);
  CHECK(r.body == "dashboard: (profile unavailable)");
  CHECK(log.all().find("the profile on the dashboard") != std::string::npos);
}

TEST_CASE("static permissions: a .default scope is granted without the user consenting, and never challenges") {
  fixture f([](config::app_settings& s) { s.downstream_apis[1].scopes = {graph + "/.default"}; });
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  auto v = f.app.browse(b, "GET", f.app.url("/emails"));
  CHECK(v.last.body == "5 messages");
  CHECK(v.authority_pages.pages_seen.empty());
}

TEST_CASE("a route without a consent policy answers a challenge with an error page, and the log says to add one") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  captured_log log;
  auto r = b.request("GET", f.app.url("/no-policy"));
  CHECK(r.status == 401);
  CHECK(r.body.find("needs access") != std::string::npos);
  CHECK(log.all().find("authorize_for_scopes") != std::string::npos);
}

TEST_CASE("a consent policy naming a configuration key that is not set stops the start, naming the key and the route") {
  config::app_settings s;
  s.azure_ad.authority = "http://127.0.0.1:9/tenant/v2.0";
  s.azure_ad.client_id = "app";
  s.host.port = 0;
  s.host.log_level = "off";
  s.host.cache.backend = config::cache_options::backend_type::memory;
  actors::host h(s);
  h.routes()
      .get("/x", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, "x")); })
      .authorize_for_scopes({.scope_key_section = "DownstreamApis:Nope:Scopes"});
  auto started = h.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().find("DownstreamApis:Nope:Scopes") != std::string::npos);
  CHECK(started.error().find("GET /x") != std::string::npos);
}

TEST_CASE("B2C: signing in goes through the sign-up-sign-in user flow") {
  fixture f(as_b2c);
  browser b(*f.app.web, f.app.origin);
  auto first = b.request("GET", f.app.url("/profile"));
  REQUIRE(first.status == 302);
  CHECK(header(first, "Location").find("/tfp/contoso.onmicrosoft.com/b2c_1_susi/oauth2/v2.0/authorize?") != std::string::npos);
  auto v = f.app.sign_in(b, "/profile");
  CHECK(v.last.body == "profile of Ada Lovelace");
}

TEST_CASE("B2C: a page needing the edit-profile flow goes through it and returns, with the new name and the flow's tokens cached apart") {
  fixture f(as_b2c);
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  dev::sign_in_options o;
  o.new_display_name = "Ada, Countess of Lovelace";
  auto v = f.app.browse(b, "GET", f.app.url("/profile/edit"), o);
  CHECK(v.last_url == f.app.url("/profile/edit"));
  CHECK(v.last.body == "edited: Ada, Countess of Lovelace");
  CHECK(saw(v, "edit-profile"));
  auto& l1 = f.app.host->services().memory_cache();
  CHECK(l1.get(cache::keys::user_access_tokens(web::ada_account(), dev::todo_api, "b2c_1_edit_profile")));
  CHECK(l1.get(cache::keys::user_access_tokens(web::ada_account(), dev::todo_api)));
  auto again = f.app.browse(b, "GET", f.app.url("/profile/edit"));
  CHECK(again.authority_pages.pages_seen.empty());
}

TEST_CASE("B2C: the Challenge route takes the configured user flows and refuses any other name, making nothing for it") {
  fixture f(as_b2c);
  browser b(*f.app.web, f.app.origin);
  auto known = b.request("GET", f.app.url("/MicrosoftIdentity/Account/Challenge?userFlow=b2c_1_edit_profile"));
  REQUIRE(known.status == 302);
  CHECK(header(known, "Location").find("/tfp/contoso.onmicrosoft.com/b2c_1_edit_profile/oauth2/v2.0/authorize?") != std::string::npos);
  auto actors_before = f.app.host->tokens().live_actors();
  for (int i = 0; i < 1000; ++i) {
    auto made_up = b.request("GET", f.app.url("/MicrosoftIdentity/Account/Challenge?userFlow=b2c_1_made_up_" + std::to_string(i)));
    REQUIRE(made_up.status == 400);
    CHECK(made_up.body.find("user flow this site does not use") != std::string::npos);
  }
  CHECK(f.app.host->tokens().live_actors() == actors_before);
}

TEST_CASE("B2C: a Challenge address for a flow only the app's code names works at any instance with the keys, and a forged one does not") {
  // The edit-profile flow is not configured here: only the /profile/edit route's policy names it.
  fixture f([](config::app_settings& s) {
    as_b2c(s);
    s.azure_ad.edit_profile_policy_id.clear();
  });
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  http::header_list xhr;
  xhr.set("X-Requested-With", "XMLHttpRequest");
  auto r = b.request("GET", f.app.url("/profile/edit"), {}, xhr);
  REQUIRE(r.status == 401);
  auto challenge = header(r, "WWW-Authenticate");
  auto uri = challenge.substr(challenge.find("authorization_uri=\"") + 19);
  uri = uri.substr(0, uri.find('"'));
  REQUIRE(uri.find("userFlowProof=") != std::string::npos);

  f.app.restart(); // a process that never built that address, as another instance
  auto followed = b.request("GET", uri);
  REQUIRE(followed.status == 302);
  CHECK(header(followed, "Location").find("/b2c_1_edit_profile/oauth2/v2.0/authorize?") != std::string::npos);
  auto forged = uri;
  forged.replace(forged.find("userFlow=b2c_1_edit_profile"), 27, "userFlow=b2c_1_made_up_flow");
  CHECK(b.request("GET", forged).status == 400);
}

TEST_CASE("B2C: the EditProfile account route goes through the flow and back to the page it names") {
  fixture f(as_b2c);
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  dev::sign_in_options o;
  o.new_display_name = "Augusta Ada King";
  auto v = f.app.browse(b, "GET", f.app.url("/MicrosoftIdentity/Account/EditProfile?redirectUri=%2Fprofile"), o);
  CHECK(v.last_url == f.app.url("/profile"));
  CHECK(v.last.status == 200);
  CHECK(saw(v, "edit-profile"));
}

TEST_CASE("B2C: \"Forgot your password?\" on the sign-in page goes on through the password-reset flow to the page asked for") {
  fixture f(as_b2c);
  browser b(*f.app.web, f.app.origin);
  dev::sign_in_options o;
  o.forgets_password = true;
  o.new_password = "ada-new-password-2";
  auto v = f.app.browse(b, "GET", f.app.url("/profile"), o);
  CHECK(v.authority_pages.pages_seen == std::vector<std::string>{"forgot-password", "reset", "consent"});
  CHECK(v.last_url == f.app.url("/profile"));
  CHECK(v.last.body == "profile of Ada Lovelace");
  for (const auto& [name, value] : b.cookies()) CHECK_FALSE(name.starts_with(".onbehalf.correlation.")); // each sign-in's cookie spent

  browser later(*f.app.web, f.app.origin);
  dev::sign_in_options with_new_password;
  with_new_password.password = o.new_password;
  CHECK(f.app.sign_in(later, "/profile", with_new_password).last.body == "profile of Ada Lovelace");
}

TEST_CASE("B2C: a user who cancels a profile edit is sent to the home page, still signed in") {
  fixture f(as_b2c);
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  dev::sign_in_options o;
  o.cancels_profile_edit = true;
  auto v = f.app.browse(b, "GET", f.app.url("/MicrosoftIdentity/Account/EditProfile?redirectUri=%2Fprofile"), o);
  CHECK(saw(v, "cancel"));
  CHECK(v.last_url == f.app.url("/"));
  CHECK(f.app.browse(b, "GET", f.app.url("/profile")).last.body == "profile of Ada Lovelace");
}

TEST_CASE("B2C: without a password-reset flow configured, \"Forgot your password?\" ends on the page that says the sign-in was refused") {
  fixture f([](config::app_settings& s) {
    as_b2c(s);
    s.azure_ad.reset_password_policy_id.clear();
  });
  browser b(*f.app.web, f.app.origin);
  dev::sign_in_options o;
  o.forgets_password = true;
  auto v = f.app.browse(b, "GET", f.app.url("/profile"), o);
  CHECK(v.last.status == 400);
  CHECK(v.last.body.find("cancelled or refused") != std::string::npos);
}

TEST_CASE("live page: a WebSocket another site's page opens with the user's cookies is refused, and this site's own page gets its socket") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  websocket_client hijack(f.app.port, "/live/todos/socket", cookie_header_of(b),
                          {{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}});
  CHECK(hijack.status() == 403);
  websocket_client own(f.app.port, "/live/todos/socket", cookie_header_of(b), {{"Origin", f.app.origin}, {"Sec-Fetch-Site", "same-origin"}});
  CHECK(own.status() == 101);
}

TEST_CASE("live page: a challenge during a live operation tells the browser where to go, and after consent the page goes on") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  std::string navigate_to;
  {
    websocket_client live(f.app.port, "/live/todos/socket", cookie_header_of(b));
    REQUIRE(live.status() == 101);
    auto opened = live.receive();
    REQUIRE(opened);
    CHECK(*opened == R"({"type":"todos","items":[]})");
    live.send(R"({"type":"add","title":"learn CAF"})");
    auto told = live.receive();
    REQUIRE(told);
    auto message = json::parse(*told);
    REQUIRE(message);
    CHECK(*message->find("type")->if_string() == "navigate");
    navigate_to = *message->find("url")->if_string();
  }
  CHECK(navigate_to.starts_with("/MicrosoftIdentity/Account/Challenge?"));
  CHECK(navigate_to.find("Todo.ReadWrite") != std::string::npos);
  auto v = f.app.browse(b, "GET", f.app.url(navigate_to));
  CHECK(v.last_url == f.app.url("/live/todos"));
  CHECK(v.last.body == "live todos page");
  CHECK(saw(v, "consent"));
  // Back on the page, it connects again and the operation succeeds.
  websocket_client again(f.app.port, "/live/todos/socket", cookie_header_of(b));
  REQUIRE(again.status() == 101);
  REQUIRE(again.receive());
  again.send(R"({"type":"add","title":"learn CAF"})");
  auto todos = again.receive();
  REQUIRE(todos);
  CHECK(todos->find("learn CAF") != std::string::npos);
}

TEST_CASE("live page: signing out in another tab closes the page's socket, after telling the browser to go back to the page") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  websocket_client live(f.app.port, "/live/todos/socket", cookie_header_of(b));
  REQUIRE(live.status() == 101);
  REQUIRE(live.receive());
  CHECK(f.app.host->sessions().live_actors() >= 1);
  auto signed_out = b.request("GET", f.app.url("/MicrosoftIdentity/Account/SignOut"));
  REQUIRE(signed_out.status == 302);
  CHECK(live.receive() == std::optional<std::string>(R"({"type":"navigate","url":"/live/todos"})"));
  CHECK_FALSE(live.receive());
  CHECK(live.close_code() == 1000);
}

TEST_CASE("live page: a WebSocket without a session is refused before any upgrade") {
  fixture f;
  websocket_client anonymous(f.app.port, "/live/todos/socket", "");
  CHECK(anonymous.status() == 401); // a script's request: told to sign in, never upgraded
  CHECK(anonymous.response_head().find("WWW-Authenticate: OpenIdConnect error=\"login_required\"") != std::string::npos);
}

TEST_CASE("manual handling: a challenge a handler caught and threw again is handled by the route's consent policy") {
  fixture f;
  browser b(*f.app.web, f.app.origin);
  f.app.sign_in(b, "/profile");
  captured_log log;
  auto v = f.app.browse(b, "GET", f.app.url("/rethrow"));
  CHECK(v.last.body == "me: Ada Lovelace");
  CHECK(saw(v, "consent"));
  CHECK(log.all().find("Rethrowing a consent challenge") != std::string::npos);
}
