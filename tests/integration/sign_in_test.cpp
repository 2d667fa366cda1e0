// Signing in to a web app end to end: a browser, the dev authority, and an onbehalf host.
#include "../support/captured_log.hpp"
#include "../support/redis_server.hpp"
#include "../support/web_app_fixture.hpp"

#include "onbehalf/actors/session_service.hpp"
#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/identity/sign_in_correlation.hpp"

#include <atomic>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::web;

namespace {

std::string header(const http::client_response& r, std::string_view name) { return std::string(r.headers.find(name).value_or("")); }

std::string set_cookie_for(const http::client_response& r, std::string_view name) {
  for (const auto& f : r.headers.all())
    if (text::iequals(f.name, "Set-Cookie") && f.value.starts_with(name)) return f.value;
  return {};
}

http::client_response get(app_fixture& app, browser& b, const std::string& path, http::header_list headers = {}) {
  return b.request("GET", app.url(path), {}, headers);
}

void still_serves(app_fixture& app) {
  auto health = send_and_wait(*app.web, {"GET", app.url("/healthz"), {}, {}, {}});
  REQUIRE(health);
  CHECK(health->status == 200);
}

// Starts a sign-in at the app and stops at the authority's first page.
http::client_response start_sign_in(app_fixture& app, browser& b, const std::string& path = "/profile") {
  auto challenge = get(app, b, path);
  REQUIRE(challenge.status == 302);
  return b.request("GET", b.location(challenge));
}

// Answers the authority's pages until it posts back to the app; returns that form_post page.
http::client_response authority_until_form_post(app_fixture& app, browser& b, http::client_response page) {
  dev::sign_in_result seen;
  for (int i = 0; i < 8 && page.body.find("document.forms[0].submit()") == std::string::npos; ++i) {
    if (page.status / 100 == 3) {
      page = b.request("GET", b.location(page));
      continue;
    }
    auto next = dev::answer_authority_page(b, page, {}, seen);
    REQUIRE(next);
    page = *next;
  }
  REQUIRE(page.body.find("document.forms[0].submit()") != std::string::npos);
  (void)app;
  return page;
}

std::string form_of(const http::client_response& form_post_page) {
  text::form_fields f;
  for (const auto& [name, value] : browser::hidden_fields(form_post_page.body)) f.add(name, value);
  return f.encode();
}

// Posts the authority's form_post page back to the app, as its script makes the browser do.
http::client_response post_back(browser& b, const http::client_response& form_post_page) {
  return b.request("POST", browser::form_action(form_post_page.body), form_of(form_post_page));
}

} // namespace

TEST_CASE("a protected page sends a browser to the authority's authorize endpoint") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto r = get(app, b, "/profile");
  REQUIRE(r.status == 302);
  auto location = header(r, "Location");
  CHECK(location.starts_with(app.authority.base_url() + "/" + dev::tenant_id + "/oauth2/v2.0/authorize?"));
  CHECK(location.find("code_challenge_method=S256") != std::string::npos);
  CHECK(location.find("response_mode=form_post") != std::string::npos);
  CHECK(location.find("redirect_uri=" + text::percent_encode(app.url("/signin-oidc"))) != std::string::npos);
  CHECK(set_cookie_for(r, ".onbehalf.correlation.").find("HttpOnly") != std::string::npos);
}

TEST_CASE("signing in lands the user on the page they asked for, as themselves") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto v = app.sign_in(b, "/profile?tab=mail");
  CHECK(v.last_url == app.url("/profile?tab=mail"));
  CHECK(v.last.body == "profile of Ada Lovelace");
  CHECK(get(app, b, "/").body == "home of Ada Lovelace");
}

TEST_CASE("the tokens of a sign-in's code redemption land in the token cache") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto grants = app.authority.token_requests("authorization_code") + app.authority.token_requests("refresh_token");
  auto token = app.user_token(ada_account(), {todo_scope});
  REQUIRE(token);
  CHECK(dev::claims_of(token->access_token.reveal()).string("aud") == "todo-api-app-id");
  CHECK(app.authority.token_requests("authorization_code") + app.authority.token_requests("refresh_token") == grants);
}

TEST_CASE("the session cookie is HttpOnly, SameSite=Lax, and not Secure over plain http") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto challenge = start_sign_in(app, b);
  auto form_post = authority_until_form_post(app, b, challenge);
  auto callback = b.request("POST", browser::form_action(form_post.body), form_of(form_post));
  REQUIRE(callback.status == 302);
  auto cookie = set_cookie_for(callback, ".onbehalf.session");
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Lax") != std::string::npos);
  CHECK(cookie.find("Secure") == std::string::npos);
  CHECK(cookie.find("oid-ada") == std::string::npos); // sealed: nothing readable in it
}

TEST_CASE("the query response mode signs in too") {
  app_fixture app([](config::app_settings& s) { s.host.sign_in.form_post = false; });
  browser b(*app.web, app.origin);
  auto first = get(app, b, "/profile");
  CHECK(header(first, "Location").find("response_mode=query") != std::string::npos);
  CHECK(app.sign_in(b).last.body == "profile of Ada Lovelace");
}

TEST_CASE("an XHR or API call without a session gets 401 with WWW-Authenticate, never a redirect") {
  app_fixture app;
  browser b(*app.web, app.origin);
  http::header_list json;
  json.set("Accept", "application/json");
  auto r = get(app, b, "/profile", json);
  CHECK(r.status == 401);
  CHECK(header(r, "Location").empty());
  CHECK(header(r, "WWW-Authenticate").find("authorization_uri=\"" + app.url("/MicrosoftIdentity/Account/Challenge?")) != std::string::npos);
  http::header_list xhr;
  xhr.set("X-Requested-With", "XMLHttpRequest");
  CHECK(get(app, b, "/profile", xhr).status == 401);
}

TEST_CASE("a page that accepts HTML as well as JSON is a page, and is redirected") {
  app_fixture app;
  browser b(*app.web, app.origin);
  http::header_list accept;
  accept.set("Accept", "text/html,application/json;q=0.9");
  CHECK(get(app, b, "/profile", accept).status == 302);
}

TEST_CASE("a POST without a session signs in and lands on the home page, since a POST cannot be repeated") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto v = app.browse(b, "POST", app.url("/profile"), {}, "name=x");
  CHECK(v.last_url == app.url("/"));
  CHECK(v.last.body == "home of Ada Lovelace");
}

TEST_CASE("anonymous routes are served without signing in") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto r = get(app, b, "/");
  CHECK(r.status == 200);
  CHECK(r.body == "home, anonymous");
}

TEST_CASE("a route's claim requirement lets in users who have the claim") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto r = get(app, b, "/ada-only");
  CHECK(r.status == 200);
  CHECK(r.body == "hi Ada");
}

TEST_CASE("a route's claim requirement gives 403 to users without the claim") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto r = get(app, b, "/admin");
  CHECK(r.status == 403);
  CHECK(r.body.find("roles") != std::string::npos);
}

TEST_CASE("a restart keeps the user signed in, from the RocksDB cache") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  app.restart();
  auto r = get(app, b, "/profile");
  CHECK(r.status == 200);
  CHECK(r.body == "profile of Ada Lovelace");
}

TEST_CASE("two tabs signing in at once both finish") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto first_tab = authority_until_form_post(app, b, start_sign_in(app, b, "/profile?tab=1"));
  auto second_tab = start_sign_in(app, b, "/profile?tab=2"); // the authority remembers the sign-in: no pages this time
  auto second_form = authority_until_form_post(app, b, second_tab);
  auto second = b.request("POST", browser::form_action(second_form.body), form_of(second_form));
  REQUIRE(second.status == 302);
  CHECK(header(second, "Location") == "/profile?tab=2");
  auto first = b.request("POST", browser::form_action(first_tab.body), form_of(first_tab));
  REQUIRE(first.status == 302);
  CHECK(header(first, "Location") == "/profile?tab=1");
  CHECK(get(app, b, "/profile").status == 200);
}

TEST_CASE("sign-out ends the session, removes the account's tokens and returns through the authority") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto out = get(app, b, "/MicrosoftIdentity/Account/SignOut");
  REQUIRE(out.status == 302);
  auto end_session = header(out, "Location");
  CHECK(end_session.starts_with(app.authority.base_url() + "/" + dev::tenant_id + "/oauth2/v2.0/logout?"));
  CHECK(end_session.find(text::percent_encode(app.url("/signout-callback-oidc"))) != std::string::npos);
  auto landed = app.browse(b, "GET", end_session);
  CHECK(landed.last_url == app.url("/MicrosoftIdentity/Account/SignedOut"));
  CHECK(landed.last.body.find("You have signed out") != std::string::npos);
  CHECK(get(app, b, "/profile").status == 302);
  auto token = app.user_token(ada_account(), {todo_scope});
  REQUIRE_FALSE(token);
  CHECK(token.error().kind == identity::failure_kind::interaction_required);
}

TEST_CASE("a copied session cookie stops working after its user signs out") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto copy = b.cookies();
  get(app, b, "/MicrosoftIdentity/Account/SignOut");
  b.cookies() = copy;
  CHECK(get(app, b, "/profile").status == 302);
}

TEST_CASE("with Redis away, an instance that does not hold a session answers 503 and keeps the cookie, sign-out too — back, it serves the session") {
  redis_server redis;
  app_fixture app([&](config::app_settings& s) {
    s.host.cache.backend = config::cache_options::backend_type::redis;
    s.host.redis.port = redis.port();
    s.host.redis.connect_timeout = std::chrono::milliseconds(300);
    s.host.redis.command_timeout = std::chrono::milliseconds(300);
  });
  browser b(*app.web, app.origin);
  app.sign_in(b);
  redis.pause();
  app.restart(); // an instance that has not served this browser: nothing of it in memory

  auto page = get(app, b, "/profile");
  CHECK(page.status == 503);
  CHECK(page.body.find("You are still signed in") != std::string::npos);
  CHECK(set_cookie_for(page, ".onbehalf.session").empty());
  auto out = get(app, b, "/MicrosoftIdentity/Account/SignOut");
  CHECK(out.status == 503); // not a sign-out that ends nothing while the cookie's session lives on
  CHECK(set_cookie_for(out, ".onbehalf.session").empty());

  redis.resume();
  unsigned status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    status = get(app, b, "/profile").status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(status == 200);
}

TEST_CASE("a configured sign-out path signs out too") {
  app_fixture app([](config::app_settings& s) { s.host.sign_in.sign_out_path = "/logout"; });
  browser b(*app.web, app.origin);
  app.sign_in(b);
  CHECK(get(app, b, "/logout").status == 302);
  CHECK(get(app, b, "/profile").status == 302);
}

TEST_CASE("a browser sent to sign in again and again keeps at most 8 sign-in cookies, and its latest sign-in completes") {
  app_fixture app;
  browser b(*app.web, app.origin);
  http::client_response latest;
  for (int i = 0; i < 50; ++i) latest = get(app, b, "/profile?attempt=" + std::to_string(i));
  REQUIRE(latest.status == 302);
  std::size_t correlation_cookies = 0;
  for (const auto& [name, value] : b.cookies()) correlation_cookies += name.starts_with(".onbehalf.correlation.");
  CHECK(correlation_cookies == identity::sign_in_slots);
  auto r = post_back(b, authority_until_form_post(app, b, b.request("GET", b.location(latest))));
  REQUIRE(r.status == 302);
  CHECK(header(r, "Location") == "/profile?attempt=49");
}

TEST_CASE("the oldest sign-in in progress gives its place to the ninth, whose cookie its late callback leaves alone") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto oldest = authority_until_form_post(app, b, start_sign_in(app, b, "/profile?tab=oldest"));
  for (int i = 0; i < 7; ++i) get(app, b, "/profile?tab=" + std::to_string(i));
  auto ninth = authority_until_form_post(app, b, start_sign_in(app, b, "/profile?tab=ninth")); // takes the oldest's slot
  auto late = post_back(b, oldest);
  CHECK(late.status == 400);
  CHECK(late.body.find("could not be verified") != std::string::npos);
  CHECK(set_cookie_for(late, ".onbehalf.correlation.").empty());
  auto r = post_back(b, ninth);
  REQUIRE(r.status == 302);
  CHECK(header(r, "Location") == "/profile?tab=ninth");
}

TEST_CASE("the Challenge route refuses a user flow this site does not use, outside B2C too") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto actors_before = app.host->tokens().live_actors();
  for (int i = 0; i < 1000; ++i) {
    auto r = get(app, b, "/MicrosoftIdentity/Account/Challenge?userFlow=made_up_" + std::to_string(i));
    REQUIRE(r.status == 400);
    CHECK(set_cookie_for(r, ".onbehalf.correlation.").empty());
  }
  CHECK(app.host->tokens().live_actors() == actors_before);
  CHECK(get(app, b, "/MicrosoftIdentity/Account/Challenge?redirectUri=%2Fprofile").status == 302);
}

TEST_CASE("the Challenge route asks the authority for the scopes it names and returns to redirectUri") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto r =
      get(app, b, "/MicrosoftIdentity/Account/Challenge?scope=user.read%20mail.read&redirectUri=%2Fprofile&loginHint=ada%40contoso.onmicrosoft.com");
  REQUIRE(r.status == 302);
  auto location = header(r, "Location");
  CHECK(location.find("mail.read") != std::string::npos);
  CHECK(location.find("login_hint=ada%40contoso.onmicrosoft.com") != std::string::npos);
  auto v = app.browse(b, "GET", b.location(r));
  INFO(v.last.body);
  CHECK(v.last_url == app.url("/profile"));
}

// --- cross-site requests: a page of another site acting with the user's session ---

namespace {

http::header_list from_site(const std::string& origin, const std::string& fetch_site) {
  http::header_list h;
  if (!origin.empty()) h.set("Origin", origin);
  if (!fetch_site.empty()) h.set("Sec-Fetch-Site", fetch_site);
  return h;
}

http::client_response post_from(app_fixture& app, browser& b, const std::string& path, const http::header_list& h) {
  auto with_form = h;
  with_form.set("Content-Type", "application/x-www-form-urlencoded");
  return b.request("POST", app.url(path), "name=x", with_form);
}

} // namespace

TEST_CASE("a signed-in POST from another site's page is refused — from this site's pages, and from clients that are not browsers, it is served") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b, "/profile");
  struct row {
    const char* what;
    http::header_list headers;
    unsigned status;
  };
  const std::vector<row> rows = {
      {"another site, as a browser with Fetch Metadata says", from_site("http://evil.example", "cross-site"), 403},
      {"a sibling subdomain (same-site is not same-origin)", from_site("http://sub.127.0.0.1.example", "same-site"), 403},
      {"another site, from a browser without Fetch Metadata", from_site("http://evil.example", ""), 403},
      {"an opaque origin (a sandboxed frame)", from_site("null", ""), 403},
      {"Fetch Metadata saying cross-site without an Origin", from_site("", "cross-site"), 403},
      {"this site's own page", from_site(app.origin, "same-origin"), 200},
      {"this site's own page, from a browser without Fetch Metadata", from_site(app.origin, ""), 200},
      {"a client that is not a browser (no Origin, no Fetch Metadata)", from_site("", ""), 200},
  };
  for (const auto& r : rows) {
    INFO(r.what);
    auto answer = post_from(app, b, "/profile", r.headers);
    CHECK(answer.status == r.status);
    if (r.status == 403) CHECK(answer.body.find("came from another site") != std::string::npos);
  }
  CHECK(get(app, b, "/profile").status == 200); // a refusal leaves the session as it was
}

TEST_CASE("a site in Onbehalf:SignIn:TrustedOrigins may post as the user — others still may not") {
  app_fixture app([](config::app_settings& s) { s.host.sign_in.trusted_origins = {"https://portal.example"}; });
  browser b(*app.web, app.origin);
  app.sign_in(b, "/profile");
  CHECK(post_from(app, b, "/profile", from_site("https://portal.example", "cross-site")).status == 200);
  CHECK(post_from(app, b, "/profile", from_site("https://portal.example.evil", "cross-site")).status == 403);
}

TEST_CASE("an anonymous route posted to from another site is served without the user's session") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b, "/profile");
  CHECK(post_from(app, b, "/comment", from_site("http://evil.example", "cross-site")).body == "comment, anonymous");
  CHECK(post_from(app, b, "/comment", from_site(app.origin, "same-origin")).body == "comment by Ada Lovelace");
}

TEST_CASE("sign-out from another site's link asks first, and from another site's form is refused — the session lives on") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b, "/profile");
  auto linked = get(app, b, "/MicrosoftIdentity/Account/SignOut", from_site("", "cross-site"));
  CHECK(linked.status == 200);
  CHECK(linked.body.find("<form method=\"post\" action=\"/MicrosoftIdentity/Account/SignOut\">") != std::string::npos);
  CHECK(set_cookie_for(linked, ".onbehalf.session").empty());
  auto posted = b.request("POST", app.url("/MicrosoftIdentity/Account/SignOut"), {}, from_site("http://evil.example", "cross-site"));
  CHECK(posted.status == 403);
  CHECK(get(app, b, "/profile").status == 200);

  // The confirmation page's button: a POST from this site's own page signs out.
  auto confirmed = b.request("POST", app.url("/MicrosoftIdentity/Account/SignOut"), {}, from_site(app.origin, "same-origin"));
  CHECK(confirmed.status == 302);
  CHECK(get(app, b, "/profile").status == 302);
}

// --- tampering: each ends on a clear page, and the server goes on serving ---

TEST_CASE("a modified session cookie is refused with a page that says to sign in again") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto& cookie = b.cookies()[".onbehalf.session"];
  cookie[cookie.size() / 2] = cookie[cookie.size() / 2] == 'A' ? 'B' : 'A';
  auto r = get(app, b, "/profile");
  CHECK(r.status == 400);
  CHECK(r.body.find("sign in again") != std::string::npos);
  CHECK(get(app, b, "/profile").status == 302); // the bad cookie was removed
  still_serves(app);
}

TEST_CASE("a truncated session cookie is refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto& cookie = b.cookies()[".onbehalf.session"];
  cookie.resize(cookie.size() / 3);
  CHECK(get(app, b, "/profile").status == 400);
  still_serves(app);
}

TEST_CASE("a session cookie past half its idle window is reissued with a fresh expiry — a fresh one is not") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto fresh = get(app, b, "/profile");
  CHECK(fresh.status == 200);
  CHECK(set_cookie_for(fresh, ".onbehalf.session").empty());
  // The same ticket, made to run out in a minute (its idle window is two weeks).
  auto keys = config::make_key_ring({{"k1", secret(cache_key_base64)}});
  REQUIRE(keys);
  auto& cookie = b.cookies()[".onbehalf.session"];
  auto lines = keys->open(cookie, "onbehalf session v1");
  REQUIRE(lines);
  auto soon =
      std::chrono::duration_cast<std::chrono::seconds>((std::chrono::system_clock::now() + std::chrono::minutes(1)).time_since_epoch()).count();
  cookie = keys->seal(lines->substr(0, lines->rfind('\n') + 1) + std::to_string(soon), "onbehalf session v1");
  auto aging = get(app, b, "/profile");
  CHECK(aging.status == 200);
  auto renewed = set_cookie_for(aging, ".onbehalf.session");
  REQUIRE_FALSE(renewed.empty());
  auto sealed = renewed.substr(renewed.find('=') + 1, renewed.find(';') - renewed.find('=') - 1);
  auto renewed_lines = keys->open(sealed, "onbehalf session v1");
  REQUIRE(renewed_lines);
  CHECK(renewed_lines->substr(0, renewed_lines->rfind('\n')) == lines->substr(0, lines->rfind('\n'))); // the same account and session
  CHECK(std::stoll(renewed_lines->substr(renewed_lines->rfind('\n') + 1)) > soon + 24 * 3600);
}

TEST_CASE("a session cookie that is authentic but does not hold account, session and expiry lines is refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  // Someone holding the cookie keys seals what they like: the ticket's lines are still checked.
  auto keys = config::make_key_ring({{"k1", secret(cache_key_base64)}});
  REQUIRE(keys);
  for (std::string contents : {"account\nsession", "account\nsession\n4102444800\nextra", "\nsession\n4102444800", "account\n\n4102444800",
                               "account\nsession\nnever", "account\nsession\n"}) {
    INFO(contents);
    b.cookies()[".onbehalf.session"] = keys->seal(contents, "onbehalf session v1");
    CHECK(get(app, b, "/profile").status == 400);
  }
  still_serves(app);
}

TEST_CASE("a session cookie sealed with another key ring is refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  app.settings.host.sign_in.cookie_keys = {{"other", secret("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=")}};
  app.restart();
  CHECK(get(app, b, "/profile").status == 400);
  still_serves(app);
}

TEST_CASE("a session cookie sealed with an older key of the ring still works after rotation") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  app.settings.host.sign_in.cookie_keys = {{"k1", secret(cache_key_base64)}, {"k2", secret("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=")}};
  app.restart();
  CHECK(get(app, b, "/profile").status == 200);
}

TEST_CASE("a callback without its correlation cookie is refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto form_post = authority_until_form_post(app, b, start_sign_in(app, b));
  std::erase_if(b.cookies(), [](const auto& c) { return c.first.starts_with(".onbehalf.correlation."); });
  auto r = b.request("POST", browser::form_action(form_post.body), form_of(form_post));
  CHECK(r.status == 400);
  CHECK(r.body.find("sign-in cookie") != std::string::npos);
  still_serves(app);
}

TEST_CASE("an expired correlation cookie is refused, even when the browser still sends it") {
  app_fixture app([](config::app_settings& s) { s.host.sign_in.correlation_lifetime = std::chrono::seconds(1); });
  browser b(*app.web, app.origin); // like a tampered browser, it ignores the cookie's Max-Age
  auto form_post = authority_until_form_post(app, b, start_sign_in(app, b));
  std::this_thread::sleep_for(2100ms);
  auto r = b.request("POST", browser::form_action(form_post.body), form_of(form_post));
  CHECK(r.status == 400);
  CHECK(r.body.find("took too long") != std::string::npos);
  still_serves(app);
}

TEST_CASE("a replayed state, after its sign-in completed, is refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto form_post = authority_until_form_post(app, b, start_sign_in(app, b));
  REQUIRE(b.request("POST", browser::form_action(form_post.body), form_of(form_post)).status == 302);
  auto replay = b.request("POST", browser::form_action(form_post.body), form_of(form_post));
  CHECK(replay.status == 400);
  still_serves(app);
}

TEST_CASE("a reused code is refused, even with the correlation cookie replayed") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto form_post = authority_until_form_post(app, b, start_sign_in(app, b));
  auto saved = b.cookies();
  REQUIRE(b.request("POST", browser::form_action(form_post.body), form_of(form_post)).status == 302);
  browser attacker(*app.web, app.origin);
  attacker.cookies() = saved;
  auto replay = attacker.request("POST", browser::form_action(form_post.body), form_of(form_post));
  CHECK(replay.status == 400);
  CHECK(replay.body.find("already used") != std::string::npos);
  still_serves(app);
}

TEST_CASE("a modified correlation cookie is refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto form_post = authority_until_form_post(app, b, start_sign_in(app, b));
  for (auto& [name, value] : b.cookies())
    if (name.starts_with(".onbehalf.correlation.")) value[value.size() - 3] = value[value.size() - 3] == 'x' ? 'y' : 'x';
  auto r = b.request("POST", browser::form_action(form_post.body), form_of(form_post));
  CHECK(r.status == 400);
  still_serves(app);
}

TEST_CASE("a code from another sign-in attempt is refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto first = authority_until_form_post(app, b, start_sign_in(app, b));
  auto second = authority_until_form_post(app, b, start_sign_in(app, b));
  // The second attempt's state and cookie with the first attempt's code: PKCE and nonce do not match.
  text::form_fields mixed;
  mixed.add("code", browser::hidden_field(first.body, "code")).add("state", browser::hidden_field(second.body, "state"));
  auto r = b.request("POST", browser::form_action(second.body), mixed.encode());
  CHECK(r.status == 400);
  still_serves(app);
}

TEST_CASE("an answer naming another issuer (RFC 9207 iss) is refused before its code is redeemed") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto form_post = authority_until_form_post(app, b, start_sign_in(app, b));
  // A mix-up: the code reaches this callback from another authority's answer.
  auto mixed = b.request("POST", browser::form_action(form_post.body), form_of(form_post) + "&iss=https%3A%2F%2Fevil.example");
  CHECK(mixed.status == 400);
  CHECK(mixed.body.find("did not come from this site") != std::string::npos);
  CHECK(set_cookie_for(mixed, ".onbehalf.session").empty());
  // The code was not spent, nor the sign-in's cookie: the genuine answer still signs the user in.
  auto r = post_back(b, form_post);
  CHECK(r.status == 302);
  CHECK_FALSE(set_cookie_for(r, ".onbehalf.session").empty());
}

TEST_CASE("with AzureAd:AllowedTenants, a user of another tenant signs in at the authority but gets no session here, only a 403 page") {
  app_fixture elsewhere([](config::app_settings& s) { s.azure_ad.allowed_tenants = {"11111111-2222-3333-4444-555555555555"}; });
  browser b(*elsewhere.web, elsewhere.origin);
  auto r = post_back(b, authority_until_form_post(elsewhere, b, start_sign_in(elsewhere, b)));
  CHECK(r.status == 403);
  CHECK(r.body.find("Your organization cannot use this site") != std::string::npos);
  CHECK(set_cookie_for(r, ".onbehalf.session").empty());
  // The user's own tenant, listed (in upper case: tenant ids compare without case), is admitted.
  auto upper = dev::tenant_id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  app_fixture admitted([upper](config::app_settings& s) { s.azure_ad.allowed_tenants = {upper, "11111111-2222-3333-4444-555555555555"}; });
  browser b2(*admitted.web, admitted.origin);
  CHECK(post_back(b2, authority_until_form_post(admitted, b2, start_sign_in(admitted, b2))).status == 302);
}

TEST_CASE("an id_token whose nonce is not the one this sign-in sent is refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto form_post = authority_until_form_post(app, b, start_sign_in(app, b));
  // Someone holding the cookie keys swaps the nonce the callback will expect; state and PKCE
  // verifier still match, so only the nonce check can refuse the id_token.
  auto keys = config::make_key_ring({{"k1", secret(cache_key_base64)}});
  REQUIRE(keys);
  auto state = browser::hidden_field(form_post.body, "state");
  for (auto& [name, value] : b.cookies()) {
    if (name != identity::correlation_cookie_name(state)) continue;
    auto correlation = identity::open_correlation(*keys, value, state);
    REQUIRE(correlation);
    correlation->nonce = "a-nonce-this-sign-in-never-sent";
    value = identity::seal_correlation(*keys, *correlation);
  }
  auto r = b.request("POST", browser::form_action(form_post.body), form_of(form_post));
  CHECK(r.status == 400);
  CHECK(r.body.find("could not be verified") != std::string::npos);
  CHECK(set_cookie_for(r, ".onbehalf.session").empty());
  still_serves(app);
}

TEST_CASE("an error from the authority ends on a page, with nothing of its details shown") {
  app_fixture app;
  browser b(*app.web, app.origin);
  auto r = get(app, b, "/signin-oidc?error=access_denied&error_description=AADSTS50105%3A+secret+detail&state=x");
  CHECK(r.status == 400);
  CHECK(r.body.find("AADSTS50105") == std::string::npos);
  still_serves(app);
}

TEST_CASE("return URLs that leave the site are refused") {
  app_fixture app;
  browser b(*app.web, app.origin);
  for (std::string target :
       {"//evil.example", "https://evil.example/", "/\\evil.example", "%2F%2Fevil.example", "/%2F/evil.example", "\\\\evil.example"}) {
    INFO(target);
    auto r = get(app, b, "/MicrosoftIdentity/Account/SignIn?redirectUri=" + text::percent_encode(target));
    CHECK(r.status == 400);
    CHECK(header(r, "Location").empty());
  }
  still_serves(app);
}

TEST_CASE("forwarded headers from an address that is not a known proxy are ignored") {
  app_fixture app;
  browser b(*app.web, app.origin);
  http::header_list forwarded;
  forwarded.set("X-Forwarded-Proto", "https");
  forwarded.set("X-Forwarded-Host", "evil.example");
  auto r = get(app, b, "/profile", forwarded);
  REQUIRE(r.status == 302);
  CHECK(header(r, "Location").find(text::percent_encode(app.url("/signin-oidc"))) != std::string::npos);
  CHECK(header(r, "Location").find("evil.example") == std::string::npos);
  CHECK(set_cookie_for(r, ".onbehalf.correlation.").find("Secure") == std::string::npos);
}

TEST_CASE("forwarded headers from a known proxy build the redirect URI and make cookies Secure") {
  app_fixture app([](config::app_settings& s) { s.host.known_proxies = {"127.0.0.1"}; });
  browser b(*app.web, app.origin);
  http::header_list forwarded;
  forwarded.set("X-Forwarded-Proto", "https");
  forwarded.set("X-Forwarded-Host", "app.example.com");
  forwarded.set("X-Forwarded-For", "203.0.113.9");
  auto r = get(app, b, "/profile", forwarded);
  REQUIRE(r.status == 302);
  CHECK(header(r, "Location").find("redirect_uri=" + text::percent_encode("https://app.example.com/signin-oidc")) != std::string::npos);
  auto cookie = set_cookie_for(r, "__Secure-.onbehalf.correlation.");
  CHECK(cookie.find("Secure") != std::string::npos);
  CHECK(cookie.find("SameSite=None") != std::string::npos); // form_post comes back cross-site over https
  CHECK(set_cookie_for(r, "__Host-.onbehalf.signins").find("Path=/") != std::string::npos);
}

TEST_CASE("over https the session cookie is a __Host- cookie, and one without the prefix (which a sibling subdomain could plant) is not read") {
  app_fixture app([](config::app_settings& s) { s.host.known_proxies = {"127.0.0.1"}; });
  browser b(*app.web, app.origin);
  app.sign_in(b, "/profile"); // over plain http: the plain name
  std::string session;
  for (const auto& [name, value] : b.cookies())
    if (name == ".onbehalf.session") session = value;
  REQUIRE_FALSE(session.empty());
  http::header_list https;
  https.set("X-Forwarded-Proto", "https");
  https.set("X-Forwarded-Host", "app.example.com");
  CHECK(get(app, b, "/profile", https).status == 302); // not read over https: a sign-in starts

  browser secure(*app.web, app.origin);
  secure.cookies()["__Host-.onbehalf.session"] = session;
  CHECK(get(app, secure, "/profile", https).status == 200);
}

TEST_CASE("with the Redis cache down, users still sign in and are served, and /metrics counts the failures") {
  testing::closed_port closed;
  app_fixture app([&](config::app_settings& s) {
    s.host.cache.backend = config::cache_options::backend_type::redis;
    s.host.redis.port = closed.number();
  });
  browser b(*app.web, app.origin);
  CHECK(app.sign_in(b).last.body == "profile of Ada Lovelace");
  CHECK(get(app, b, "/profile").status == 200);
  auto metrics = get(app, b, "/metrics").body;
  auto at = metrics.find("onbehalf_cache_l2_failures_total{store=\"redis\"} ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoi(metrics.substr(metrics.find("} ", at) + 2)) > 0);
  CHECK(metrics.find("onbehalf_session_actors 1") != std::string::npos);
}

TEST_CASE("an authority that is down gives a 503 page, and the app keeps serving") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.authority.set_faults({devauthority::faults::mode::unavailable});
  auto r = get(app, b, "/profile");
  CHECK(r.status == 503);
  CHECK(header(r, "Retry-After") == "30");
  CHECK(get(app, b, "/").status == 200);
}

// MIW's OnTokenValidated: the app decides about a validated sign-in before its session starts.
TEST_CASE("on_token_validated: a claim the app adds from its own records is the user's, and routes that require it admit them") {
  app_fixture app;
  app.prepare = [](actors::host& h) {
    h.on_token_validated([](actors::validated_sign_in& v) -> task<void> {
      if (v.user.username() == "ada@contoso.onmicrosoft.com") v.user.claims.emplace_back("roles", "Admin");
      co_return;
    });
  };
  app.restart();
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto admin = b.request("GET", app.url("/admin"));
  CHECK(admin.status == 200);
  CHECK(admin.body == "admin");
}

TEST_CASE("on_token_validated: a sign-in the app refuses ends on a 403 page in the app's words, with no session") {
  app_fixture app;
  app.prepare = [](actors::host& h) {
    h.on_token_validated([](actors::validated_sign_in& v) -> task<void> {
      v.refuse("Your account has not been approved yet.");
      co_return;
    });
  };
  app.restart();
  browser b(*app.web, app.origin);
  auto r = post_back(b, authority_until_form_post(app, b, start_sign_in(app, b)));
  CHECK(r.status == 403);
  CHECK(r.body.find("Your account has not been approved yet.") != std::string::npos);
  CHECK(set_cookie_for(r, ".onbehalf.session").empty());
}

TEST_CASE("on_token_validated: a hook that awaits holds the sign-in until it is done, without holding a thread") {
  app_fixture app;
  std::atomic<int> decided{0};
  app.prepare = [&decided](actors::host& h) {
    h.on_token_validated([&decided, &h](actors::validated_sign_in& v) -> task<void> {
      // As a database lookup would: the answer comes later, on another thread.
      co_await when_called_back<bool>([&h](std::function<void(bool)> done) { h.services().web().after(50ms, [done] { done(true); }); });
      v.user.claims.emplace_back("preferred_username", "ada@contoso.onmicrosoft.com");
      ++decided;
    });
  };
  app.restart();
  browser b(*app.web, app.origin);
  app.sign_in(b);
  CHECK(decided == 1);
  CHECK(b.request("GET", app.url("/ada-only")).status == 200);
}

TEST_CASE("on_token_validated: a hook that throws fails the sign-in with a page, and the log says so") {
  captured_log log;
  app_fixture app;
  app.prepare = [](actors::host& h) {
    h.on_token_validated([](actors::validated_sign_in&) -> task<void> {
      throw std::runtime_error("the membership database is down");
      co_return;
    });
  };
  app.restart();
  browser b(*app.web, app.origin);
  auto r = post_back(b, authority_until_form_post(app, b, start_sign_in(app, b)));
  CHECK(r.status >= 400);
  CHECK(set_cookie_for(r, ".onbehalf.session").empty());
  CHECK(r.body.find("membership database") == std::string::npos); // the app's internals stay in the log
  CHECK(log.all().find("the membership database is down") != std::string::npos);
}

TEST_CASE("/metrics counts the requests made to the authority and to the level-2 store, by kind and outcome, with their latency") {
  app_fixture app;
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto metrics = get(app, b, "/metrics").body;
  INFO(metrics.substr(0, 4000));
  CHECK(metrics.find("onbehalf_token_requests_total{grant=\"authorization_code\",outcome=\"success\"} 1") != std::string::npos);
  CHECK(metrics.find("onbehalf_token_request_duration_seconds_count{grant=\"authorization_code\"} 1") != std::string::npos);
  CHECK(metrics.find("onbehalf_token_request_duration_seconds_bucket{grant=\"authorization_code\",le=\"+Inf\"} 1") != std::string::npos);
  CHECK(metrics.find("onbehalf_token_actors ") != std::string::npos);
  // The sign-in's tokens went to the RocksDB store: its writes are counted and timed.
  auto writes = metrics.find("onbehalf_cache_l2_requests_total{store=\"rocksdb\",operation=\"write\",outcome=\"success\"} ");
  REQUIRE(writes != std::string::npos);
  CHECK(std::stoi(metrics.substr(metrics.find("} ", writes) + 2)) > 0);
  CHECK(metrics.find("onbehalf_cache_l2_request_duration_seconds_count{store=\"rocksdb\",operation=\"write\"}") != std::string::npos);
}

TEST_CASE("a certificate credential from configuration (SourceType Path) signs users in: the code is redeemed with a signed assertion") {
  app_fixture app;
  auto pem = app.dir.path("app-certificate.pem");
  app.client_cert.write_pem(pem, pem);
  config::client_credential c;
  c.type = config::client_credential::source_type::path;
  c.certificate_disk_path = pem;
  app.settings.azure_ad.client_credentials = {c};
  app.restart();
  browser b(*app.web, app.origin);
  CHECK(app.sign_in(b).last.body == "profile of Ada Lovelace");
  auto requests = app.authority.recent_token_requests();
  REQUIRE_FALSE(requests.empty());
  CHECK(requests.back().grant_type == "authorization_code");
  CHECK(app.authority.token_requests("authorization_code") == 1);
}
