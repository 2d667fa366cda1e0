// Several instances sharing Redis stay one application when something fails: Redis restarts or
// freezes under them, an instance dies holding a refresh lease, a sign-out's announcement never
// arrives, and a sign-out is replayed. Real processes throughout: two onbehalf-test-instance
// processes, one redis-server and the dev authority (tests/support/two_instances.hpp).
#include "../support/refresh_cycles.hpp"
#include "../support/two_instances.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <future>
#include <map>
#include <sstream>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

const std::string instance_program = ONBEHALF_TEST_INSTANCE_PROGRAM;
using steady = std::chrono::steady_clock;

std::chrono::milliseconds since(steady::time_point start) { return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start); }

// Polls until `condition` holds, for up to `limit`.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit) {
  for (auto until = steady::now() + limit; !condition(); std::this_thread::sleep_for(20ms))
    if (steady::now() > until) return false;
  return true;
}

bool says_redis_connected(const cookie_client& client, const instance_process& instance) {
  return client.get(instance.url("/healthz"), "").body.find(R"("redis":"connected")") != std::string::npos;
}

// --- Redis going away under signed-in users ---

// Tokens that outlive the outage, due for refresh only after it, so that the refresh cycle that
// follows is the first: a refresh while Redis is away is each instance's alone (documented).
constexpr auto outage_token_lifetime = 8s;
constexpr auto outage_refresh_margin = 2s;

// Watches both instances' /healthz until `until` (or, with `until_both_noticed`, until each has
// said Redis is not connected): whether each said so.
struct noticed {
  bool a = false, b = false;
};
noticed watch_health(const two_instances& f, steady::time_point until, bool until_both_noticed) {
  noticed n;
  while (steady::now() < until && !(until_both_noticed && n.a && n.b)) {
    n.a = n.a || !says_redis_connected(f.client, f.a);
    n.b = n.b || !says_redis_connected(f.client, f.b);
    std::this_thread::sleep_for(20ms);
  }
  return n;
}

// Sets a flag when the scope ends, however it ends (a failed REQUIRE included).
struct raise_on_exit {
  std::atomic<bool>& flag;
  ~raise_on_exit() { flag = true; }
};

// Everyone signed in, served at both instances (their sessions and tokens in memory there), then
// `outage` happens to Redis while their requests go on at both, until both instances say they
// are connected again; then a refresh cycle. `outage` says whether the instances noticed it.
void ride_out(const std::string& what, const std::function<noticed(two_instances&)>& outage) {
  two_instances_options o;
  o.access_token_lifetime = outage_token_lifetime;
  o.refresh_margin = outage_refresh_margin;
  // Sessions are looked at in Redis every second (in the background from half of it): during the
  // outage too, so the instances meet it even though every request is served from memory.
  o.revalidation_interval = 1s;
  o.redis.persistent = true; // as documented: a Redis that comes back empty signs everyone out
  two_instances f(instance_program, o);
  auto users = sign_in_everyone(f.client, f.a);
  std::vector<std::string> origins{f.a.origin(), f.b.origin()};
  for (const auto& user : users)
    for (const auto& origin : origins) REQUIRE(f.client.get(origin + "/token", user.cookie).status == 200);

  std::atomic<bool> stop{false};
  auto traffic = std::async(std::launch::async, [&] {
    traffic_figures all;
    while (!stop) all.add(send_concurrently(f.client, users, origins, f.authority, 2, 20ms, wall_clock::now() + 200ms));
    return all;
  });
  std::chrono::milliseconds away{0}, reconnected{0};
  noticed outage_noticed;
  {
    raise_on_exit stop_traffic{stop};
    auto went_at = steady::now();
    outage_noticed = outage(f);
    away = since(went_at);
    auto back_at = steady::now();
    REQUIRE(eventually([&] { return says_redis_connected(f.client, f.a) && says_redis_connected(f.client, f.b); }, 10s));
    reconnected = since(back_at);
  }
  auto during = traffic.get();

  refresh_schedule cycle;
  cycle.access_token_lifetime = outage_token_lifetime;
  cycle.refresh_margin = outage_refresh_margin;
  cycle.cycles = 1;
  auto report = run_refresh_cycles(f.client, users, origins, f.authority, cycle);
  WARN(what << " (" << away.count() << " ms): meanwhile /healthz said Redis was not connected at A: " << (outage_noticed.a ? "yes" : "no")
            << ", at B: " << (outage_noticed.b ? "yes" : "no") << "; both said connected again " << reconnected.count()
            << " ms after Redis was back\n  while Redis was away and coming back: " << during.summary() << "\n  the refresh cycle after it:\n"
            << report.summary() << "\n  refresh grants at the dev authority: " << f.peer.refresh_grants() << " (one per user: " << users.size()
            << ")");
  UNSCOPED_INFO("instance A logged:\n" << f.a.log_digest() << "instance B logged:\n" << f.b.log_digest());
  CHECK(outage_noticed.a);
  CHECK(outage_noticed.b);
  CHECK(during.requests > 0);
  CHECK(during.served == during.requests);
  CHECK(during.sent_to_sign_in == 0);
  CHECK(report.total.sent_to_sign_in == 0);
  CHECK(report.total.other + report.total.unanswered == 0);
  CHECK(f.peer.refresh_grants() == users.size());
}

} // namespace

TEST_CASE("Redis stopped for 2 s and restarted under signed-in users: both instances keep serving them, reconnect, and the next refresh is still one "
          "grant per user") {
  ride_out("Redis stopped for 2 s and started again", [](two_instances& f) {
    f.redis.stop();
    auto n = watch_health(f, steady::now() + 2s, false); // both lose their connections
    f.redis.start();
    return n;
  });
}

TEST_CASE(
    "Redis frozen for 2 s under signed-in users: both instances keep serving them, reconnect, and the next refresh is still one grant per user") {
  ride_out("Redis paused for 2 s", [](two_instances& f) {
    f.redis.pause();
    auto n = watch_health(f, steady::now() + 2s, false); // their reads of sessions time out
    f.redis.resume();
    return n;
  });
}

// --- an instance that dies holding a refresh lease ---

TEST_CASE("an instance killed while it redeems a refresh token under its lease: the other refreshes once the lease runs out, with one grant, and "
          "nobody signs in again") {
  two_instances_options o;
  o.access_token_lifetime = 60s; // within the refresh margin (300 s): due from the start
  o.lease = 4s;
  two_instances f(instance_program, o);
  auto ada = sign_in_with_dev_authority(f.client.web(), f.a.origin(), people[0]);
  f.peer.authority.set_access_token_lifetime(3600s); // refreshed tokens are not due again
  REQUIRE(f.client.get(f.b.url("/whoami"), ada.cookie).status == 200);

  // A's grant reaches the authority and hangs there; the authority never carries it out (had it
  // rotated the refresh token, the new one would have died with A).
  devauthority::faults hanging;
  hanging.kind = devauthority::faults::mode::unavailable;
  hanging.added_latency = 30s;
  f.peer.authority.set_faults(hanging);
  auto first = f.client.get(f.a.url("/token"), ada.cookie);
  REQUIRE(first.status == 200); // the due token, while its refresh goes on
  REQUIRE(eventually([&] { return f.peer.authority.requests_held() >= 1; }, 5s));
  auto leases = f.redis.command({"KEYS", "onbehalf:*:lease:*"});
  REQUIRE(leases.elements.size() == 1); // A's refresh lease
  f.peer.authority.set_faults({});
  f.a.kill_abruptly();
  auto killed_at = steady::now();

  auto at_b = f.client.get(f.b.url("/token"), ada.cookie);
  INFO("B right after the kill: " << at_b.status << " " << at_b.body << at_b.failure);
  CHECK(at_b.status == 200);
  CHECK(eventually([&] { return f.peer.refresh_grants() >= 1; }, o.lease + 3s));
  auto refreshed_after = since(killed_at);
  page_answer after;
  CHECK(eventually([&] { return (after = f.client.get(f.b.url("/token"), ada.cookie)).status == 200 && after.body != first.body; }, 2s));
  WARN("A was killed holding its refresh lease (" << o.lease.count() << " s); B's refresh reached the authority " << refreshed_after.count()
                                                  << " ms later; refresh grants: " << f.peer.refresh_grants());
  UNSCOPED_INFO("instance B logged:\n" << f.b.log_digest());
  CHECK(refreshed_after > o.lease - 1s); // B waited for the lease, not around it
  CHECK(refreshed_after < o.lease + 1500ms);
  INFO("B afterwards: " << after.status << " " << after.body << after.failure);
  CHECK(f.client.get(f.b.url("/whoami"), ada.cookie).status == 200);
  CHECK(f.peer.refresh_grants() == 1);
}

// --- a sign-out whose announcement is lost ---

TEST_CASE("a sign-out whose announcement is lost (A may not publish) reaches B by the revalidation interval, and not before") {
  two_instances_options o;
  o.revalidation_interval = 2s;
  // A's ACL user may do everything but publish: its announcements never leave it.
  o.redis.acl_users = {"instance-a on >instance-a-secret ~onbehalf:* &onbehalf:events +@all -publish"};
  o.a_overrides = {"Onbehalf__Redis__User=instance-a", "Onbehalf__Redis__Password=instance-a-secret"};
  two_instances f(instance_program, o);
  auto ada = sign_in_with_dev_authority(f.client.web(), f.a.origin(), people[0]);
  REQUIRE(f.client.get(f.b.url("/whoami"), ada.cookie).status == 200); // B read her session from Redis just now

  auto signed_out_at = f.sign_out(f.a, ada);
  page_answer last;
  bool sent =
      eventually([&] { return (last = f.client.get(f.b.url("/whoami"), ada.cookie)).sends_to_sign_in(f.authority); }, o.revalidation_interval + 2s);
  auto waited = since(signed_out_at);
  WARN("with the announcement lost, B " << (sent ? "sent the signed-out browser to sign in " : "still served the signed-out session ")
                                        << waited.count() << " ms after the sign-out at A (revalidation interval " << o.revalidation_interval.count()
                                        << " s)");
  INFO("B's last answer: " << last.status << " " << last.body.substr(0, 80) << last.failure);
  CHECK(sent);
  CHECK(f.a.log().find("NOPERM") != std::string::npos); // the announcement was refused, so lost
  CHECK(waited >= o.revalidation_interval / 4);         // an announcement takes milliseconds
  CHECK(waited <= o.revalidation_interval + 1s);
}

// --- a replayed sign-out ---

namespace {

using command_counts = std::map<std::string, long long>;

// What Redis ran between two command_stats() snapshots: "eval 2, hget 1"; the total in `total`.
std::string difference(const command_counts& before, const command_counts& after, long long& total) {
  std::ostringstream out;
  total = 0;
  for (const auto& [name, calls] : after) {
    auto earlier = before.count(name) ? before.at(name) : 0;
    if (calls == earlier) continue;
    out << (total ? ", " : "") << name << " " << calls - earlier;
    total += calls - earlier;
  }
  return total ? out.str() : "nothing";
}

long long writes(const command_counts& before, const command_counts& after) {
  long long n = 0;
  for (const auto* name : {"eval", "set", "del", "hset", "hdel", "publish"})
    n += (after.count(name) ? after.at(name) : 0) - (before.count(name) ? before.at(name) : 0);
  return n;
}

} // namespace

TEST_CASE("a sign-out sent again after the session ended makes no keyspace-wide Redis command, and writes nothing") {
  two_instances f(instance_program);
  auto ada = sign_in_with_dev_authority(f.client.web(), f.a.origin(), people[0]);
  REQUIRE(f.client.get(f.b.url("/whoami"), ada.cookie).status == 200);

  auto before = f.redis.command_stats();
  f.sign_out(f.a, ada);
  REQUIRE(eventually([&] { return f.client.get(f.b.url("/whoami"), ada.cookie).sends_to_sign_in(f.authority); }, 2s));
  std::vector<command_counts> after{f.redis.command_stats()};

  // The same request again, at A and then at B: the cookie of a session that has ended.
  for (const auto* at : {&f.a, &f.b}) {
    auto replay = f.client.get(at->url("/MicrosoftIdentity/Account/SignOut"), ada.cookie);
    INFO("replayed sign-out at " << at->name() << ": " << replay.status << " to " << replay.location);
    CHECK(replay.status == 302);
    after.push_back(f.redis.command_stats());
  }

  long long first_total = 0, at_a_total = 0, at_b_total = 0;
  auto first = difference(before, after[0], first_total);
  auto at_a = difference(after[0], after[1], at_a_total);
  auto at_b = difference(after[1], after[2], at_b_total);
  WARN("Redis commands for the sign-out (at A, then B noticing): " << first_total << " (" << first << "); for the replay at A: " << at_a_total << " ("
                                                                   << at_a << "), at B: " << at_b_total << " (" << at_b << ")");
  for (const auto* keyspace_wide : {"scan", "keys", "flushdb", "flushall"}) CHECK(f.redis.command_calls(keyspace_wide) == 0);
  CHECK(writes(before, after[0]) > 0); // the first sign-out did end the account in Redis
  CHECK(writes(after[0], after[2]) == 0);
}
