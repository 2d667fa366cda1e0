// Several instances of one web app sharing users through one Redis, as real processes: one
// redis-server, an authority that rotates refresh tokens and revokes the whole sign-in when a
// replaced one is used again, and onbehalf-test-instance processes with the same configuration.
// A user's requests land on any instance; the app must behave as one: each access token is
// refreshed once, whichever instances are asked, and a sign-out ends the session everywhere.
#include "../support/oidc_provider_process.hpp"
#include "../support/refresh_cycles.hpp"
#include "../support/two_instances.hpp"
#include "../support/websocket_client.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <set>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

const std::string instance_program = ONBEHALF_TEST_INSTANCE_PROGRAM;

// A real authority answers a token request in tens to hundreds of milliseconds; loopback in one.
// Refreshes take this long here, so instances that refresh on their own overlap as they would in
// production instead of by luck.
constexpr auto authority_latency = 150ms;

// Each user's token refreshed across `instances` under traffic, against the dev authority; what
// the traffic got and how many refresh grants the authority saw.
struct dev_authority_refresh_run {
  refresh_cycles_report report;
  std::size_t refresh_grants = 0;
  std::size_t users = 0;
};

dev_authority_refresh_run refresh_through_dev_authority(int instance_count, const refresh_schedule& schedule) {
  redis_server redis;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < instance_count; ++i) ports.push_back(free_loopback_port());
  dev_authority_peer peer(ports, schedule.access_token_lifetime);
  temp_dir dir;
  auto config = write_instance_config(dir, peer.settings_for(redis, schedule.refresh_margin));
  std::vector<std::unique_ptr<instance_process>> instances;
  for (int i = 0; i < instance_count; ++i)
    instances.push_back(
        std::make_unique<instance_process>(instance_program, config, std::string(1, char('A' + i)), ports[static_cast<std::size_t>(i)]));

  cookie_client client;
  auto users = sign_in_everyone(client, *instances.front());
  devauthority::faults slow;
  slow.added_latency = authority_latency;
  peer.authority.set_faults(slow);
  REQUIRE(peer.refresh_grants() == 0);
  // With one instance, "both" instances are the same process: the run that shows the counting right.
  std::vector<std::string> origins{instances.front()->origin(), instances.back()->origin()};
  dev_authority_refresh_run run;
  run.report = run_refresh_cycles(client, users, origins, origin_of(peer.authority.base_url()), schedule);
  run.refresh_grants = peer.refresh_grants();
  run.users = users.size();
  for (auto& i : instances) UNSCOPED_INFO("instance " << i->name() << " logged:\n" << i->log_digest());
  return run;
}

// Each user's token refreshed across `instances` under traffic, against oidc-provider rotating
// refresh tokens; what the traffic got and the provider's grant counts.
struct oidc_provider_refresh_run {
  refresh_cycles_report report;
  oidc_provider_grants grants;
  std::size_t users = 0;
};

oidc_provider_refresh_run refresh_through_oidc_provider(int instance_count, const refresh_schedule& schedule) {
  redis_server redis;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < instance_count; ++i) ports.push_back(free_loopback_port());
  oidc_provider_process provider(ONBEHALF_INTEROP_DIR, ports,
                                 {"ROTATE_REFRESH_TOKENS=1", "ACCESS_TOKEN_TTL=" + std::to_string(schedule.access_token_lifetime.count()),
                                  "TOKEN_ENDPOINT_LATENCY_MS=" + std::to_string(authority_latency.count())});
  instance_settings s;
  s.authority = provider.issuer();
  s.client_id = oidc_provider_client_id;
  s.client_secret = oidc_provider_client_secret;
  s.scopes = {"access_as_user", "Todo.ReadWrite"};
  s.prompt = "consent"; // oidc-provider issues refresh tokens only then (OpenID Connect Core section 11)
  s.redis_port = redis.port();
  s.refresh_margin = schedule.refresh_margin;
  temp_dir dir;
  auto config = write_instance_config(dir, s);
  std::vector<std::unique_ptr<instance_process>> instances;
  for (int i = 0; i < instance_count; ++i)
    instances.push_back(
        std::make_unique<instance_process>(instance_program, config, std::string(1, char('A' + i)), ports[static_cast<std::size_t>(i)]));

  cookie_client client;
  std::vector<signed_in_user> users;
  for (const auto& login : {"ada", "grace", "alan"}) users.push_back(sign_in_with_oidc_provider(client.web(), instances.front()->origin(), login));
  REQUIRE(provider.grants().refresh_token == 0);
  std::vector<std::string> origins{instances.front()->origin(), instances.back()->origin()};
  oidc_provider_refresh_run run;
  run.report = run_refresh_cycles(client, users, origins, provider.issuer(), schedule);
  run.grants = provider.grants();
  run.users = users.size();
  for (auto& i : instances) UNSCOPED_INFO("instance " << i->name() << " logged:\n" << i->log_digest());
  return run;
}

void show_figures(const std::string& what, const refresh_cycles_report& report, const std::string& at_the_authority) {
  WARN(what << "\n" << report.summary() << "\n  " << at_the_authority);
}

std::string dev_authority_figures(const dev_authority_refresh_run& run, std::size_t expected) {
  return "refresh grants at the dev authority: " + std::to_string(run.refresh_grants) + " (one per user per cycle: " + std::to_string(expected) + ")";
}

std::string oidc_provider_figures(const oidc_provider_refresh_run& run, std::size_t expected) {
  return "refresh grants at oidc-provider: " + std::to_string(run.grants.refresh_token) + ", " + std::to_string(run.grants.refresh_token_refused) +
         " of them refused (one per user per cycle: " + std::to_string(expected) + "); grants revoked: " + std::to_string(run.grants.revoked);
}

} // namespace

TEST_CASE("one instance alone refreshes each user's token once per cycle, and serves every request (the baseline the next tests compare with)") {
  refresh_schedule schedule;
  schedule.cycles = 2;
  auto run = refresh_through_dev_authority(1, schedule);
  auto expected = run.users * static_cast<std::size_t>(schedule.cycles);
  show_figures("one instance, dev authority:", run.report, dev_authority_figures(run, expected));
  CHECK(run.report.total.sent_to_sign_in == 0);
  CHECK(run.report.total.other + run.report.total.unanswered == 0);
  CHECK(run.refresh_grants == expected);
}

TEST_CASE("two instances sharing Redis refresh each user's token once per expiry, and nobody is sent to sign in again") {
  refresh_schedule schedule;
  auto run = refresh_through_dev_authority(2, schedule);
  auto expected = run.users * static_cast<std::size_t>(schedule.cycles);
  show_figures("two instances, dev authority:", run.report, dev_authority_figures(run, expected));
  CHECK(run.report.total.sent_to_sign_in == 0);
  CHECK(run.report.total.other + run.report.total.unanswered == 0);
  CHECK(run.refresh_grants == expected);
}

// The same baseline at oidc-provider, hidden to spare CI its time: run it by its tag
// (instance_tests "[baseline]") after changing provider.mjs's counting.
TEST_CASE("one instance alone refreshes each user's token once per cycle at oidc-provider, which revokes nothing", "[.][baseline]") {
  refresh_schedule schedule;
  schedule.cycles = 2;
  auto run = refresh_through_oidc_provider(1, schedule);
  auto expected = run.users * static_cast<std::size_t>(schedule.cycles);
  show_figures("one instance, oidc-provider rotating refresh tokens:", run.report, oidc_provider_figures(run, expected));
  CHECK(run.grants.revoked == 0);
  CHECK(run.grants.refresh_token_refused == 0);
  CHECK(run.report.total.sent_to_sign_in == 0);
  CHECK(run.report.total.other + run.report.total.unanswered == 0);
  CHECK(run.grants.refresh_token == static_cast<std::int64_t>(expected));
}

TEST_CASE("two instances sharing Redis never redeem a refresh token twice at oidc-provider, which revokes the grant when they do") {
  refresh_schedule schedule;
  auto run = refresh_through_oidc_provider(2, schedule);
  auto expected = run.users * static_cast<std::size_t>(schedule.cycles);
  show_figures("two instances, oidc-provider rotating refresh tokens:", run.report, oidc_provider_figures(run, expected));
  CHECK(run.grants.revoked == 0);
  CHECK(run.grants.refresh_token_refused == 0);
  CHECK(run.report.total.sent_to_sign_in == 0);
  CHECK(run.report.total.other + run.report.total.unanswered == 0);
  CHECK(run.grants.refresh_token == static_cast<std::int64_t>(expected));
}

namespace {

// Two instances against the dev authority, and Ada signed in through A.
struct ada_signed_in_at_a : two_instances {
  ada_signed_in_at_a() : two_instances(instance_program) {}
  signed_in_user ada = sign_in_with_dev_authority(client.web(), a.origin(), people[0]);

  std::chrono::steady_clock::time_point sign_out_at_a() { return sign_out(a, ada); }
};

} // namespace

TEST_CASE("an instance that had not served a user before their sign-out at another instance sends them to sign in (the baseline of the next test)") {
  ada_signed_in_at_a f;
  f.sign_out_at_a();
  auto at_b = f.client.get(f.b.url("/whoami"), f.ada.cookie);
  INFO("B after the sign-out: " << at_b.status << " " << at_b.body.substr(0, 80) << at_b.failure);
  CHECK(at_b.sends_to_sign_in(f.authority));
}

TEST_CASE("a sign-out on one instance sends the user's browser to sign in at every other instance within a second") {
  ada_signed_in_at_a f;
  auto before = f.client.get(f.b.url("/whoami"), f.ada.cookie);
  INFO("B before the sign-out: " << before.status << " " << before.body << before.failure);
  REQUIRE(before.status == 200);
  REQUIRE(before.body == f.ada.home_account_id);

  auto signed_out_at = f.sign_out_at_a();
  page_answer last;
  int polls = 0;
  for (auto deadline = signed_out_at + 1s; std::chrono::steady_clock::now() < deadline && !last.sends_to_sign_in(f.authority); ++polls) {
    if (polls > 0) std::this_thread::sleep_for(20ms);
    last = f.client.get(f.b.url("/whoami"), f.ada.cookie);
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signed_out_at);
  if (last.sends_to_sign_in(f.authority))
    WARN("B sent the signed-out browser to sign in " << waited.count() << " ms after the sign-out at A (" << polls << " polls)");
  else
    WARN("B still served the signed-out session " << waited.count() << " ms after the sign-out at A (" << polls << " polls; the last answered "
                                                  << last.status << " " << last.body.substr(0, 80) << ")");
  CHECK(last.sends_to_sign_in(f.authority));
}

TEST_CASE("a sign-out on one instance closes the user's live pages at the others, each told to go back to its page") {
  ada_signed_in_at_a f;
  websocket_client live(f.b.port(), "/live/socket", f.ada.cookie);
  REQUIRE(live.status() == 101);
  REQUIRE(live.receive() == std::optional<std::string>("open"));
  live.send("still here?");
  REQUIRE(live.receive() == std::optional<std::string>("echo still here?"));
  f.sign_out_at_a();
  CHECK(live.receive() == std::optional<std::string>(R"({"type":"navigate","url":"/live"})"));
  CHECK_FALSE(live.receive()); // closed
  CHECK(live.close_code() == 1000);
  // A socket the old cookie opens again is refused before any upgrade.
  websocket_client again(f.b.port(), "/live/socket", f.ada.cookie);
  CHECK(again.status() == 401);
}

namespace {

// A browser at oidc-provider's form_post page: the sign-in callback it is about to post, and the
// cookies (its correlation cookie among them) that go with it.
struct pending_callback {
  std::string action; // the callback URL at the instance the sign-in started from
  std::string form;
  std::string cookies;
};

pending_callback reach_the_callback(http::client& web, const std::string& origin, const std::string& login) {
  browser b(web, origin);
  auto challenge = b.request("GET", origin + "/whoami");
  REQUIRE(challenge.status == 302);
  auto login_page = b.location(b.request("GET", b.location(challenge)));
  auto resume = b.location(b.request("POST", login_page, "prompt=login&login=" + login + "&password=any"));
  auto consent_page = b.location(b.request("GET", resume));
  auto resume_again = b.location(b.request("POST", consent_page, "prompt=consent"));
  auto form_post = b.request("GET", resume_again);
  REQUIRE(form_post.status == 200);
  pending_callback c;
  c.action = browser::form_action(form_post.body);
  text::form_fields fields;
  for (const auto& [name, value] : browser::hidden_fields(form_post.body)) fields.add(name, value);
  c.form = fields.encode();
  for (const auto& [name, value] : b.cookies()) c.cookies += (c.cookies.empty() ? "" : "; ") + name + "=" + value;
  return c;
}

// Posts the same callback to each origin at once, as a double submit through a load balancer
// would: each instance is reached at its own address, with the Host the browser used.
std::vector<http::client_result> post_at_once(http::client& web, const pending_callback& c, const std::vector<std::string>& origins) {
  std::vector<std::promise<http::client_result>> answers(origins.size());
  auto public_origin = origin_of(c.action);
  auto path = c.action.substr(public_origin.size());
  for (std::size_t i = 0; i < origins.size(); ++i) {
    http::client_request r{"POST", origins[i] + path, {}, c.form, {}};
    r.headers.set("Host", public_origin.substr(public_origin.find("//") + 2));
    r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    r.headers.set("Cookie", c.cookies);
    web.send(std::move(r), [&answers, i](http::client_result reply) { answers[i].set_value(std::move(reply)); });
  }
  std::vector<http::client_result> replies;
  for (auto& a : answers) replies.push_back(a.get_future().get());
  return replies;
}

// The session cookie an answer set.
std::string session_cookie_set_by(const http::client_response& r) {
  std::string cookie;
  for (const auto& h : r.headers.all()) {
    if (!text::iequals(h.name, "Set-Cookie") || !h.value.starts_with(".onbehalf.session")) continue;
    cookie += (cookie.empty() ? "" : "; ") + h.value.substr(0, h.value.find(';'));
  }
  return cookie;
}

void double_submit_redeems_once(int instance_count) {
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < instance_count; ++i) ports.push_back(free_loopback_port());
  redis_server redis;
  oidc_provider_process provider(ONBEHALF_INTEROP_DIR, ports,
                                 {"ROTATE_REFRESH_TOKENS=1", "TOKEN_ENDPOINT_LATENCY_MS=" + std::to_string(authority_latency.count())});
  instance_settings s;
  s.authority = provider.issuer();
  s.client_id = oidc_provider_client_id;
  s.client_secret = oidc_provider_client_secret;
  s.scopes = {"access_as_user", "Todo.ReadWrite"};
  s.prompt = "consent";
  s.redis_port = redis.port();
  temp_dir dir;
  auto config = write_instance_config(dir, s);
  std::vector<std::unique_ptr<instance_process>> instances;
  for (int i = 0; i < instance_count; ++i)
    instances.push_back(
        std::make_unique<instance_process>(instance_program, config, std::string(1, char('A' + i)), ports[static_cast<std::size_t>(i)]));

  cookie_client client;
  auto callback = reach_the_callback(client.web(), instances.front()->origin(), "ada");
  std::vector<std::string> origins{instances.front()->origin(), instances.back()->origin()};
  auto replies = post_at_once(client.web(), callback, origins);
  auto grants = provider.grants();
  WARN("the same callback posted to " << (instance_count == 1 ? "one instance" : "two instances")
                                      << " twice at once: code redemptions at oidc-provider: " << grants.authorization_code
                                      << ", grants revoked: " << grants.revoked);
  CHECK(grants.authorization_code == 1);
  CHECK(grants.revoked == 0);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    INFO("callback at " << origins[i]);
    REQUIRE(replies[i]);
    INFO(replies[i]->status << " " << replies[i]->body.substr(0, 300));
    REQUIRE(replies[i]->status == 302);
    auto cookie = session_cookie_set_by(*replies[i]);
    REQUIRE_FALSE(cookie.empty());
    // Each browser tab signed in, and stays signed in: the grant was not revoked.
    auto whoami = client.get(origins[1 - i] + "/whoami", cookie);
    CHECK(whoami.status == 200);
  }
}

} // namespace

TEST_CASE("a sign-in callback posted twice at once to one instance redeems its code once") { double_submit_redeems_once(1); }

TEST_CASE("a sign-in callback posted at once to two instances redeems its code once, and both sign the browser in") { double_submit_redeems_once(2); }

namespace {

// Two instances of one middle tier (a web API that calls Graph on behalf of its callers) sharing
// Redis, and one of its callers' access tokens, issued by the dev authority in this process.
struct middle_tier_instances {
  redis_server redis;
  dev::authority_fixture authority;
  temp_dir dir;
  std::string config = write_instance_config(dir, settings());
  instance_process a{instance_program, config, "A"};
  instance_process b{instance_program, config, "B"};
  cookie_client client;

  instance_settings settings() const {
    instance_settings s;
    s.authority = authority.authority.authority(dev::tenant_id);
    s.client_id = "todo-api-app-id";
    s.client_secret = "todo-api-secret-1";
    s.audience = dev::todo_api;
    s.scopes = {"https://graph.microsoft.com/.default"};
    s.redis_port = redis.port();
    return s;
  }

  std::string caller_token() {
    browser b(*authority.web, authority.authority.base_url());
    return dev::signed_in_tokens(authority, b).access_token.reveal();
  }

  std::size_t grants() const { return authority.authority.token_requests("urn:ietf:params:oauth:grant-type:jwt-bearer"); }
};

} // namespace

TEST_CASE("two web API instances sharing Redis, asked at once with one caller's token, make one on-behalf-of grant, and a third started later "
          "makes none") {
  middle_tier_instances m;
  auto caller = m.caller_token();
  devauthority::faults slow;
  slow.added_latency = authority_latency;
  m.authority.authority.set_faults(slow);

  std::vector<std::future<page_answer>> asked;
  for (int i = 0; i < 16; ++i) {
    const auto& at = i % 2 == 0 ? m.a : m.b;
    asked.push_back(std::async(std::launch::async, [&m, &at, &caller] { return m.client.get_as_bearer(at.url("/api/token"), caller); }));
  }
  std::set<std::string> tokens;
  for (auto& a : asked) {
    auto answer = a.get();
    INFO(answer.status << " " << answer.body << answer.failure);
    CHECK(answer.status == 200);
    tokens.insert(answer.body);
  }
  INFO("instance A logged:\n" << m.a.log_digest() << "instance B logged:\n" << m.b.log_digest());
  CHECK(tokens.size() == 1);
  CHECK(m.grants() == 1);

  instance_process c(instance_program, m.config, "C");
  auto later = m.client.get_as_bearer(c.url("/api/token"), caller);
  CHECK(later.status == 200);
  CHECK(tokens.count(later.body) == 1);
  CHECK(m.grants() == 1);
  // Another token of the same user is another assertion: a grant of its own.
  CHECK(m.client.get_as_bearer(c.url("/api/token"), m.caller_token()).status == 200);
  CHECK(m.grants() == 2);
}
