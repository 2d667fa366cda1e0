// The Redis client against redis-server as it is deployed: plain, with a password, with an ACL
// user (and the least ACL the shared cache needs), another database, TLS (CA, server name,
// client certificates), a server that pauses, stops and comes back, pub/sub across a restart,
// Redis Cluster from one seed (MOVED and ASK followed), and the app starting through its
// configuration keys Onbehalf:Redis:*.
#include "../support/captured_log.hpp"
#include "../support/eventually.hpp"
#include "../support/redis_cluster.hpp"
#include "../support/redis_server.hpp"
#include "../support/temp_dir.hpp"

#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/config/load.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/redis/client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

using namespace onbehalf;
using onbehalf::testing::eventually;
using onbehalf::testing::redis_cluster;
using onbehalf::testing::redis_server;
using onbehalf::testing::redis_server_options;
using onbehalf::testing::redis_tls_files;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;
using call_result = result<redis::reply, redis::error>;

redis::client_options options_for(std::uint16_t port) {
  redis::client_options o;
  o.endpoints = {{"127.0.0.1", port}};
  o.reconnect_delay = 50ms;
  o.max_reconnect_delay = 200ms;
  o.subscriber_ping_interval = 500ms;
  return o;
}

redis::client_options options_for(const redis_server& server) { return options_for(server.port()); }

// Trusts the server's CA; names nothing, so the certificate must name the host (127.0.0.1).
redis::client_options tls_options_for(const redis_server& server) {
  auto o = options_for(server);
  o.tls.enabled = true;
  o.tls.ca_bundle_path = server.tls_files().ca;
  return o;
}

std::unique_ptr<redis::client> client_for(redis::client_options o) {
  auto c = redis::client::create(std::move(o));
  REQUIRE(c);
  return std::move(*c);
}

// One call, waited for on this thread (never on the client's).
call_result call(redis::client& c, const std::string& key, std::vector<std::string> arguments, std::chrono::milliseconds limit = 5s) {
  std::promise<call_result> done;
  c.call(key, std::move(arguments), [&](call_result r) { done.set_value(std::move(r)); });
  auto answer = done.get_future();
  REQUIRE(answer.wait_for(limit) == std::future_status::ready);
  return answer.get();
}

call_result set(redis::client& c, const std::string& key, const std::string& value) { return call(c, key, {"SET", key, value}); }
call_result get(redis::client& c, const std::string& key) { return call(c, key, {"GET", key}); }

// What a failed call said, for assertions and their messages.
std::string kind_of(const call_result& r) {
  if (r) return "success";
  switch (r.error().what) {
  case redis::error::kind::unreachable: return "unreachable";
  case redis::error::kind::timeout: return "timeout";
  case redis::error::kind::refused: return "refused";
  case redis::error::kind::server: return "server";
  case redis::error::kind::protocol: return "protocol";
  case redis::error::kind::closed: return "closed";
  }
  return "?";
}

std::string describe(const call_result& r) { return r ? "success: " + r->text : kind_of(r) + ": " + r.error().message; }

std::string state_of(const redis::health& h) {
  switch (h.current) {
  case redis::health::state::connecting: return "connecting";
  case redis::health::state::connected: return "connected";
  case redis::health::state::unreachable: return "unreachable";
  case redis::health::state::refused: return "refused";
  }
  return "?";
}

std::chrono::milliseconds since(clock_type::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
}

// Messages of one subscription, with the gaps it was told about.
struct inbox {
  std::mutex mutex;
  std::vector<std::string> messages;
  std::atomic<int> gaps{0};

  void subscribe(redis::client& c, const std::string& channel) {
    c.subscribe(
        channel,
        [this](std::string m) {
          std::lock_guard lock(mutex);
          messages.push_back(std::move(m));
        },
        [this] { ++gaps; });
  }
  bool has(const std::string& m) {
    std::lock_guard lock(mutex);
    return std::find(messages.begin(), messages.end(), m) != messages.end();
  }
};

// Publishes `message` until `to` has it: a subscription is up only once Redis confirmed it.
bool delivered(redis::client& publisher, const std::string& channel, const std::string& message, inbox& to) {
  return eventually([&] {
    if (to.has(message)) return true;
    publisher.publish(channel, message, [](call_result) {});
    std::this_thread::sleep_for(40ms);
    return to.has(message);
  });
}

// --- the shared cache, for the ACL and cluster cases ---

key_ring shared_keys() {
  static const key_ring ring = *key_ring::make({{"k1", secret(crypto::random_bytes(32))}});
  return ring;
}

std::unique_ptr<cache::redis_store> store_with(redis::client_options connection) {
  cache::redis_options o;
  o.connection = std::move(connection);
  auto store = cache::redis_store::open(o, shared_keys());
  REQUIRE(store);
  return std::move(*store);
}

template <class T>
T wait_for(std::future<T> f) {
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

using entries = std::vector<cache::durable_store::entry>;

result<bool, std::string> put_all(cache::redis_store& s, const std::string& partition, entries e) {
  std::promise<result<bool, std::string>> done;
  s.put_all(partition, std::move(e), [&](auto r) { done.set_value(std::move(r)); });
  return wait_for(done.get_future());
}

result<std::optional<std::string>, std::string> get(cache::redis_store& s, const std::string& partition, const std::string& key) {
  std::promise<result<std::optional<std::string>, std::string>> done;
  s.get(partition, key, [&](auto r) { done.set_value(std::move(r)); });
  return wait_for(done.get_future());
}

result<bool, std::string> erase(cache::redis_store& s, const std::string& partition, const std::string& key) {
  std::promise<result<bool, std::string>> done;
  s.erase(partition, key, [&](auto r) { done.set_value(std::move(r)); });
  return wait_for(done.get_future());
}

result<std::size_t, std::string> erase_partition(cache::redis_store& s, const std::string& partition) {
  std::promise<result<std::size_t, std::string>> done;
  s.erase_partition(partition, [&](auto r) { done.set_value(std::move(r)); });
  return wait_for(done.get_future());
}

cache::coordination::lease_answer acquire(cache::redis_store& s, const std::string& partition, const std::string& name) {
  std::promise<cache::coordination::lease_answer> done;
  s.acquire(partition, name, 5s, [&](auto a) { done.set_value(std::move(a)); });
  return wait_for(done.get_future());
}

result<bool, std::string> complete(cache::redis_store& s, const cache::coordination::lease& held, entries e) {
  std::promise<result<bool, std::string>> done;
  s.complete(held, std::move(e), [&](auto r) { done.set_value(std::move(r)); });
  return wait_for(done.get_future());
}

// Everything the shared cache does, between two instances (`a` writes, `b` reads, waits and
// hears). `subscribers` counts the subscriptions to the events channel, as the servers see them.
void exercise_store(cache::redis_store& a, cache::redis_store& b, const std::function<long long()>& subscribers) {
  REQUIRE(eventually([&] { return subscribers() == 2; })); // both instances hear the events channel
  const std::string ada = "u|oid-ada.tid|";
  auto now = std::chrono::system_clock::now();
  auto written = put_all(a, ada, {{ada + "at", "access-token", now + 1h}, {ada + "rt", "refresh-token", now + 24h}});
  INFO((written ? std::string() : written.error()));
  REQUIRE(written);
  CHECK(*get(b, ada, ada + "at") == "access-token");
  REQUIRE(erase(a, ada, ada + "at"));
  CHECK_FALSE(get(b, ada, ada + "at")->has_value());

  // A lease: one holder; completing it writes its result, wakes a waiter and frees the name.
  auto held = acquire(a, ada, "rt|");
  INFO(held.problem);
  REQUIRE(held.state == cache::coordination::lease_state::acquired);
  CHECK(acquire(b, ada, "rt|").state == cache::coordination::lease_state::held_elsewhere);
  std::promise<void> woken;
  b.on_released(ada, "rt|", [&] { woken.set_value(); });
  auto completed = complete(a, held.held, {{ada + "rt", "rotated-refresh-token", now + 24h}});
  INFO((completed ? std::string() : completed.error()));
  REQUIRE(completed);
  CHECK(*completed);
  CHECK(woken.get_future().wait_for(3s) == std::future_status::ready); // published on the events channel
  CHECK(*get(b, ada, ada + "rt") == "rotated-refresh-token");

  // Released without a result: another holder may take it at once.
  auto again = acquire(b, ada, "rt|");
  REQUIRE(again.state == cache::coordination::lease_state::acquired);
  b.release(again.held);
  CHECK(eventually([&] { return acquire(a, ada, "rt|").state == cache::coordination::lease_state::acquired; }));

  // An account change reaches the other instance over the events channel.
  std::mutex m;
  std::vector<std::string> heard;
  b.observe_account_changes(
      [&](std::string id) {
        std::lock_guard l(m);
        heard.push_back(id);
      },
      [] {});
  CHECK(eventually([&] {
    a.announce_account_changed("oid-ada.tid");
    std::this_thread::sleep_for(50ms);
    std::lock_guard l(m);
    return !heard.empty();
  }));

  auto removed = erase_partition(a, ada);
  INFO((removed ? std::string() : removed.error()));
  REQUIRE(removed);
  CHECK(*removed == 1);
  CHECK_FALSE(get(b, ada, ada + "rt")->has_value());
  CHECK(a.failures() == 0);
  CHECK(b.failures() == 0);
}

// The least the shared cache needs, as documented: its keys and events channel, the commands
// it sends and those its scripts run, and PING (connection check, subscription liveness).
const std::string store_acl_rules = "resetkeys ~onbehalf:* resetchannels &onbehalf:events -@all "
                                    "+ping +get +set +hget +hdel +eval +hset +hlen +del +pexpire +pttl +publish +subscribe";
// With Onbehalf:Redis:Cluster, added to it: the slot map, and ASKING while a slot moves.
const std::string cluster_acl_rules = "+cluster|slots +asking";

} // namespace

// --- plain ---

TEST_CASE("redis client: a call round-trips, and what it wrote is read back") {
  redis_server server;
  auto c = client_for(options_for(server));
  auto pong = call(*c, {}, {"PING"});
  INFO(describe(pong));
  REQUIRE(pong);
  CHECK(pong->text == "PONG");
  REQUIRE(set(*c, "greeting", "hello")->is_ok());
  auto read = get(*c, "greeting");
  REQUIRE(read);
  CHECK(read->is_string());
  CHECK(read->text == "hello");
  CHECK(get(*c, "absent")->is_nil());
  CHECK(server.raw({"GET", "greeting"}) == "hello");
  CHECK(c->current_health().current == redis::health::state::connected);
}

TEST_CASE("redis client: 2,000 SETs and GETs from four threads at once each get their own answer, over a few pipelined connections") {
  redis_server server;
  auto o = options_for(server);
  o.connections_per_node = 3;
  auto c = client_for(o);
  REQUIRE(call(*c, {}, {"PING"}));
  constexpr int threads = 4, per_thread = 500, total = threads * per_thread;
  auto key = [](int t, int i) { return "pair:" + std::to_string(t) + ":" + std::to_string(i); };
  auto value = [](int t, int i) { return "value-" + std::to_string(t * 100000 + i) + std::string(static_cast<std::size_t>(i % 50), 'x'); };

  std::atomic<int> answered{0}, wrong{0};
  std::mutex mutex;
  std::vector<std::string> problems;
  std::promise<void> all;
  auto note = [&](const std::string& problem) {
    if (!problem.empty()) {
      ++wrong;
      std::lock_guard lock(mutex);
      if (problems.size() < 5) problems.push_back(problem);
    }
    if (++answered == 2 * total) all.set_value();
  };
  auto started = clock_type::now();
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        // The GET goes out once the SET is answered (the pool may put them on two connections),
        // from the client's own thread, while the other callers keep sending.
        c->call(key(t, i), {"SET", key(t, i), value(t, i)}, [&, t, i](call_result r) {
          note(r && r->is_ok() ? "" : "SET " + key(t, i) + ": " + describe(r));
          c->call(key(t, i), {"GET", key(t, i)},
                  [&, t, i](call_result g) { note(g && g->text == value(t, i) ? "" : "GET " + key(t, i) + ": " + describe(g)); });
        });
      }
    });
  }
  for (auto& t : callers) t.join();
  REQUIRE(all.get_future().wait_for(20s) == std::future_status::ready);
  INFO("took " << since(started).count() << " ms");
  {
    std::lock_guard lock(mutex);
    for (const auto& p : problems) UNSCOPED_INFO(p);
  }
  CHECK(wrong == 0);
  CHECK(server.command_calls("set") == total);
  CHECK(server.command_calls("get") == total);
  auto counted = c->counters();
  CHECK(counted.commands == 2 * total + 1);
  CHECK(counted.failures == 0);
  // 4,000 commands over at most the pool's connections: pipelined, not one connection each.
  CHECK(counted.connections_opened >= 1);
  CHECK(counted.connections_opened <= o.connections_per_node);
}

// --- password and ACL users ---

TEST_CASE("redis client: the right password is accepted") {
  redis_server server({.password = "s3cret-pass"});
  auto o = options_for(server);
  o.password = secret("s3cret-pass");
  auto c = client_for(o);
  auto written = set(*c, "k", "v");
  INFO(describe(written));
  REQUIRE(written);
  CHECK(server.raw({"GET", "k"}) == "v");
  CHECK(c->current_health().current == redis::health::state::connected);
}

TEST_CASE("redis client: without a password a server with requirepass refuses it: health says NOAUTH, every call fails as refused") {
  redis_server server({.password = "s3cret-pass"});
  auto c = client_for(options_for(server));
  auto health = c->wait_for_first_contact(3s);
  CHECK(state_of(health) == "refused");
  CHECK(health.detail.find("NOAUTH") != std::string::npos);
  // Not just the first: a refusal lasts until the settings change, and callers are told so.
  for (int i = 0; i < 5; ++i) {
    auto r = set(*c, "k", "v");
    INFO("call " << i << ": " << describe(r));
    CHECK(kind_of(r) == "refused");
    std::this_thread::sleep_for(30ms);
  }
  CHECK(state_of(c->current_health()) == "refused");
  CHECK(server.raw({"EXISTS", "k"}) == "0");
}

TEST_CASE("redis client: a wrong password is refused with WRONGPASS") {
  redis_server server({.password = "s3cret-pass"});
  auto o = options_for(server);
  o.password = secret("not-the-password");
  auto c = client_for(o);
  auto health = c->wait_for_first_contact(3s);
  CHECK(state_of(health) == "refused");
  CHECK(health.detail.find("WRONGPASS") != std::string::npos);
  CHECK(health.detail.find("not-the-password") == std::string::npos);
  auto r = get(*c, "k");
  INFO(describe(r));
  CHECK(kind_of(r) == "refused");
  CHECK(r.error().message.find("WRONGPASS") != std::string::npos);
}

TEST_CASE("redis client: an ACL user reaches the keys its ACL allows, and a command or key it lacks is refused with NOPERM") {
  redis_server server({.acl_users = {"reader on >reader-pass ~allowed:* resetchannels -@all +ping +get +set"}});
  auto o = options_for(server);
  o.user = "reader";
  o.password = secret("reader-pass");
  auto c = client_for(o);
  REQUIRE(set(*c, "allowed:1", "yes"));
  CHECK(get(*c, "allowed:1")->text == "yes");
  auto command = call(*c, "allowed:1", {"DEL", "allowed:1"});
  INFO(describe(command));
  CHECK(kind_of(command) == "refused");
  CHECK(command.error().message.find("NOPERM") != std::string::npos);
  auto key = set(*c, "elsewhere:1", "no");
  INFO(describe(key));
  CHECK(kind_of(key) == "refused");
  CHECK(server.raw({"GET", "allowed:1"}) == "yes");
  CHECK(server.raw({"EXISTS", "elsewhere:1"}) == "0");
  CHECK(c->counters().failures == 0); // refusals are a configuration to fix, not an outage
}

TEST_CASE("redis client: the documented least ACL lets the shared cache do all it does") {
  redis_server server({.acl_users = {"onbehalf on >cache-pass " + store_acl_rules}});
  auto o = options_for(server);
  o.user = "onbehalf";
  o.password = secret("cache-pass");
  auto a = store_with(o);
  auto b = store_with(o);
  exercise_store(*a, *b, [&] { return server.command({"PUBSUB", "NUMSUB", "onbehalf:events"}).elements.at(1).integer; });
  // The rule is no wider than it says: another key, another channel, another command are refused.
  auto c = client_for(o);
  CHECK(kind_of(set(*c, "other:key", "x")) == "refused");
  CHECK(kind_of(call(*c, {}, {"PUBLISH", "other-channel", "x"})) == "refused");
  CHECK(kind_of(call(*c, {}, {"KEYS", "*"})) == "refused");
  CHECK(kind_of(call(*c, {}, {"FLUSHALL"})) == "refused");
}

TEST_CASE("redis client: the shared cache's least ACL leaves nothing out: without any one of its commands, something fails") {
  redis_server server({.acl_users = {"onbehalf on >cache-pass " + store_acl_rules}});
  auto o = options_for(server);
  o.user = "onbehalf";
  o.password = secret("cache-pass");
  auto a = store_with(o);
  auto now = std::chrono::system_clock::now();
  int round = 0;
  // Each of the store's operations once, on a partition of its own (a failed round may leave a
  // lease held); false when any of them did not do its work.
  auto everything_works = [&] {
    const std::string p = "u|oid-round-" + std::to_string(round++) + ".tid|";
    bool ok = bool(put_all(*a, p, {{p + "at", "v", now + 1h}}));
    auto read = get(*a, p, p + "at");
    ok = ok && read && read->has_value();
    ok = ok && erase(*a, p, p + "at");
    auto held = acquire(*a, p, "rt|");
    ok = ok && held.state == cache::coordination::lease_state::acquired;
    if (held.state == cache::coordination::lease_state::acquired) {
      auto completed = complete(*a, held.held, {{p + "rt", "v", now + 1h}});
      ok = ok && completed && *completed;
    }
    auto removed = erase_partition(*a, p);
    ok = ok && removed && *removed == 1;
    // PUBLISH: the store's publications are fire-and-forget; whether Redis took them shows in its stats.
    auto published = server.command_calls("publish");
    a->announce_account_changed("oid-round.tid");
    ok = ok && eventually([&] { return server.command_calls("publish") > published; }, 500ms);
    return ok;
  };
  REQUIRE(everything_works());
  // Not taken away here: PING (every connection starts with it, so nothing would connect) and
  // SUBSCRIBE (without it the subscription is refused, and the app with it: as shown below for an
  // ACL without the channel).
  for (const auto* command : {"get", "set", "hget", "hdel", "eval", "hset", "hlen", "del", "pexpire", "pttl", "publish"}) {
    INFO("without +" << command);
    REQUIRE(server.command({"ACL", "SETUSER", "onbehalf", std::string("-") + command}).text == "OK");
    CHECK_FALSE(everything_works());
    REQUIRE(server.command({"ACL", "SETUSER", "onbehalf", std::string("+") + command}).text == "OK");
    REQUIRE(everything_works());
  }
}

// --- database ---

TEST_CASE("redis client: with database 3 what it writes lands in database 3") {
  redis_server server;
  auto o = options_for(server);
  o.database = 3;
  auto c = client_for(o);
  REQUIRE(set(*c, "in-three", "3"));
  CHECK(get(*c, "in-three")->text == "3");
  CHECK(server.raw({"EXISTS", "in-three"}) == "0"); // database 0
  auto replies = server.commands({{"SELECT", "3"}, {"GET", "in-three"}});
  CHECK(replies.at(1).text == "3");
}

// --- TLS ---

TEST_CASE("redis client: TLS with the server's CA works") {
  redis_server server({.tls = true});
  auto c = client_for(tls_options_for(server));
  auto written = set(*c, "over-tls", "yes");
  INFO(describe(written));
  REQUIRE(written);
  CHECK(server.raw({"GET", "over-tls"}) == "yes");
  CHECK(c->current_health().current == redis::health::state::connected);
}

TEST_CASE("redis client: TLS with another CA is refused, naming TLS and the certificate, and calls fail") {
  redis_server server({.tls = true});
  auto o = tls_options_for(server);
  o.tls.ca_bundle_path = server.tls_files().other_ca;
  auto c = client_for(o);
  auto health = c->wait_for_first_contact(3s);
  INFO(health.detail);
  CHECK(state_of(health) == "refused");
  CHECK(health.detail.find("TLS") != std::string::npos);
  CHECK(health.detail.find("certificate") != std::string::npos);
  for (int i = 0; i < 3; ++i) {
    auto r = get(*c, "k");
    INFO(describe(r));
    CHECK(kind_of(r) == "refused");
  }
}

TEST_CASE(
    "redis client: a server that asks for client certificates refuses a client without one, or with one from another CA, and takes the right one") {
  auto files = std::make_shared<redis_tls_files>();
  redis_server server({.tls = true, .tls_client_certificates = true, .tls_files = files});

  auto without = client_for(tls_options_for(server));
  auto health = without->wait_for_first_contact(3s);
  INFO(health.detail);
  CHECK(state_of(health) == "refused");
  CHECK(health.detail.find("TLS") != std::string::npos);
  auto r = get(*without, "k");
  INFO(describe(r));
  CHECK(kind_of(r) == "refused");

  auto o = tls_options_for(server);
  o.tls.client_certificate_path = files->other_client_certificate;
  o.tls.client_key_path = files->other_client_key;
  auto foreign = client_for(o);
  auto foreign_health = foreign->wait_for_first_contact(3s);
  INFO(foreign_health.detail);
  CHECK(state_of(foreign_health) == "refused");
  CHECK(foreign_health.detail.find("TLS") != std::string::npos);

  o.tls.client_certificate_path = files->client_certificate;
  o.tls.client_key_path = files->client_key;
  auto with = client_for(o);
  auto written = set(*with, "k", "v");
  INFO(describe(written));
  CHECK(written);
  CHECK(state_of(with->current_health()) == "connected");
}

TEST_CASE("redis client: a server name the certificate does not carry is refused") {
  redis_server server({.tls = true});
  auto o = tls_options_for(server);
  o.tls.server_name = "redis.example"; // the certificate names 127.0.0.1 and localhost
  auto c = client_for(o);
  auto health = c->wait_for_first_contact(3s);
  INFO(health.detail);
  CHECK(state_of(health) == "refused");
  CHECK(health.detail.find("redis.example") != std::string::npos);
  CHECK(kind_of(get(*c, "k")) == "refused");
  // The name it does carry, given explicitly, works.
  o.tls.server_name = "localhost";
  auto named = client_for(o);
  CHECK(set(*named, "k", "v"));
}

TEST_CASE("redis client: a CA bundle that cannot be read fails create, naming the file") {
  testing::temp_dir dir;
  auto o = options_for(6379);
  o.tls.enabled = true;
  o.tls.ca_bundle_path = dir.path("no-such-ca.pem");
  auto missing = redis::client::create(o);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find(o.tls.ca_bundle_path) != std::string::npos);
  o.tls.ca_bundle_path = dir.write("not-a-ca.pem", "this is not PEM");
  auto garbage = redis::client::create(o);
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().find(o.tls.ca_bundle_path) != std::string::npos);
}

// --- outages ---

TEST_CASE("redis client: a paused server makes calls fail within about the command timeout, and the client recovers once it resumes") {
  redis_server server;
  auto o = options_for(server);
  o.command_timeout = 300ms;
  o.connect_timeout = 2000ms; // longer on purpose: a call must not wait for a connection longer than its own timeout
  auto c = client_for(o);
  REQUIRE(set(*c, "k", "v"));
  server.pause();
  auto started = clock_type::now();
  auto first = get(*c, "k");
  auto took = since(started);
  INFO(describe(first));
  CHECK(kind_of(first) == "timeout");
  CHECK(took >= 250ms);
  CHECK(took < 800ms);
  // While it stays paused, however the client reconnects, no call waits much past its timeout.
  auto until = clock_type::now() + 1500ms;
  int calls = 0;
  while (clock_type::now() < until) {
    auto each = clock_type::now();
    auto r = get(*c, "k");
    auto each_took = since(each);
    INFO("call " << calls << " took " << each_took.count() << " ms: " << describe(r));
    CHECK_FALSE(r);
    CHECK((kind_of(r) == "timeout" || kind_of(r) == "unreachable"));
    CHECK(each_took < 800ms);
    ++calls;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(c->counters().failures >= static_cast<std::size_t>(calls));
  server.resume();
  CHECK(eventually([&] {
    auto r = get(*c, "k");
    return r && r->text == "v";
  }));
}

TEST_CASE("redis client: a stopped server makes calls fail at once, and the same client works again once it starts on the same port") {
  redis_server server;
  auto c = client_for(options_for(server));
  REQUIRE(set(*c, "k", "v"));
  server.stop();
  auto started = clock_type::now();
  for (int i = 0; i < 20; ++i) {
    auto each = clock_type::now();
    auto r = get(*c, "k");
    INFO("call " << i << ": " << describe(r));
    CHECK(kind_of(r) == "unreachable");
    CHECK(since(each) < 300ms);
    std::this_thread::sleep_for(10ms);
  }
  CHECK(since(started) < 3s);
  CHECK(eventually([&] { return state_of(c->current_health()) == "unreachable"; }));
  server.start(); // the same port; empty (not persistent)
  CHECK(eventually([&] { return bool(set(*c, "k", "again")); }));
  CHECK(get(*c, "k")->text == "again");
  CHECK(state_of(c->current_health()) == "connected");
}

namespace {

// A client that soon gives up on a paused server, with `connections` pooled connections.
redis::client_options impatient_options(const redis_server& server, std::size_t connections) {
  auto o = options_for(server);
  o.command_timeout = 200ms;
  o.connections_per_node = connections;
  return o;
}

} // namespace

TEST_CASE("redis client: a call that times out on a paused server makes health say unreachable, though another pooled connection looks ready, until "
          "Redis answers") {
  redis_server server;
  auto c = client_for(impatient_options(server, 2));
  // Calls at once keep the first connection busy: the pool opens its second, and uses both.
  auto at_once = [&] {
    std::vector<std::promise<call_result>> answers(20);
    for (auto& a : answers) c->call("k", {"SET", "k", "v"}, [&a](call_result r) { a.set_value(std::move(r)); });
    bool all = true;
    for (auto& a : answers) all = bool(a.get_future().get()) && all;
    return all;
  };
  REQUIRE(eventually([&] { return at_once() && c->counters().connections_opened >= 2; }));
  REQUIRE(at_once());
  REQUIRE(state_of(c->current_health()) == "connected");
  server.pause();
  auto r = get(*c, "k");
  INFO(describe(r));
  CHECK(kind_of(r) == "timeout");
  CHECK(state_of(c->current_health()) == "unreachable");
  server.resume();
  CHECK(eventually([&] { return bool(get(*c, "k")); }));
  CHECK(state_of(c->current_health()) == "connected");
}

TEST_CASE(
    "redis client: once the subscription hears from Redis again, a call goes through at once instead of waiting out the backoff of the failure") {
  redis_server server;
  auto o = impatient_options(server, 1);
  o.reconnect_delay = 3s; // the backoff a failed call leaves: longer than this test waits
  o.max_reconnect_delay = 3s;
  o.subscriber_ping_interval = 5s; // the subscription outlives the pause, as it does in production
  auto c = client_for(o);
  auto publisher = client_for(options_for(server));
  inbox in;
  in.subscribe(*c, "news");
  REQUIRE(delivered(*publisher, "news", "before", in));
  REQUIRE(set(*c, "k", "v"));
  server.pause();
  auto failed = get(*c, "k");
  auto failed_at = clock_type::now();
  REQUIRE(kind_of(failed) == "timeout");
  server.resume();
  REQUIRE(delivered(*publisher, "news", "after", in));
  auto heard_after = since(failed_at);
  REQUIRE(heard_after < 2s); // still within the backoff: otherwise this proves nothing
  auto r = get(*c, "k");
  INFO("the subscription heard from Redis " << heard_after.count() << " ms after the failure; the next call: " << describe(r));
  CHECK((r && r->text == "v"));
  CHECK(state_of(c->current_health()) == "connected");
}

// --- publish and subscribe ---

TEST_CASE("redis client: a subscription receives what another client publishes") {
  redis_server server;
  auto subscriber = client_for(options_for(server));
  auto publisher = client_for(options_for(server));
  inbox in;
  in.subscribe(*subscriber, "news");
  CHECK(delivered(*publisher, "news", "first", in));
  auto receivers = call(*publisher, {}, {"PUBLISH", "news", "second"});
  REQUIRE(receivers);
  CHECK(receivers->integer == 1);
  CHECK(eventually([&] { return in.has("second"); }));
  CHECK(in.gaps == 0);
}

TEST_CASE("redis client: after the server restarts the subscription comes back by itself, on_gap runs, and later messages arrive") {
  redis_server server;
  auto subscriber = client_for(options_for(server));
  auto publisher = client_for(options_for(server));
  inbox in;
  in.subscribe(*subscriber, "news");
  REQUIRE(delivered(*publisher, "news", "before", in));
  server.restart();
  REQUIRE(eventually([&] { return in.gaps.load() >= 1; }));
  // Subscribed again (on_gap runs on Redis's confirmation): the next message arrives.
  CHECK(eventually([&] { return bool(call(*publisher, {}, {"PUBLISH", "news", "after"})); }));
  CHECK(eventually([&] { return in.has("after"); }, 2s));
  CHECK(in.gaps == 1);
}

TEST_CASE("redis client: a subscription its ACL does not allow is reported as refused (NOPERM), and taken up once the ACL allows it") {
  // "~* +@all" without a channel rule: Redis 7 gives a new user no channels (acl-pubsub-default).
  redis_server server({.acl_users = {"app on >app-pass ~* resetchannels +@all"}});
  auto o = options_for(server);
  o.user = "app";
  o.password = secret("app-pass");
  o.subscriber_ping_interval = 200ms;
  auto c = client_for(o);
  inbox in;
  in.subscribe(*c, "news");
  REQUIRE(set(*c, "k", "v")); // commands work: only the subscription is turned down
  CHECK(eventually([&] { return state_of(c->current_health()) == "refused"; }, 2s));
  auto health = c->current_health();
  INFO(health.detail);
  CHECK(health.detail.find("NOPERM") != std::string::npos);
  CHECK(health.detail.find("subscri") != std::string::npos);

  // The operator adds the channel: the subscription is taken up without a restart, and what was
  // published meanwhile is lost, so the subscriber is told to catch up.
  REQUIRE(server.command({"ACL", "SETUSER", "app", "&news"}).text == "OK");
  auto publisher = client_for(o);
  CHECK(delivered(*publisher, "news", "allowed now", in));
  CHECK(state_of(c->current_health()) == "connected");
  CHECK(in.gaps == 1);
}

// --- Redis Cluster ---

TEST_CASE("redis client: a cluster is found from one seed, and keys on all three masters are written and read") {
  redis_cluster cluster;
  auto ports = cluster.ports();
  auto o = options_for(ports.front());
  o.cluster = true;
  auto c = client_for(o);
  for (auto port : ports) {
    for (int i = 0; i < 3; ++i) {
      auto key = cluster.key_owned_by(port, "spread:" + std::to_string(i) + ":");
      auto written = set(*c, key, "on " + std::to_string(port));
      INFO(key << ": " << describe(written));
      REQUIRE(written);
      CHECK(cluster.raw_on(port, {"GET", key}) == "on " + std::to_string(port)); // on its owner, not the seed
      CHECK(get(*c, key)->text == "on " + std::to_string(port));
    }
  }
  CHECK(c->counters().redirections == 0); // the slot map was right from the start
  for (auto port : ports) CHECK(cluster.node(port).command_calls("set") == 3);
}

TEST_CASE("redis client: a slot that changes hands is followed: MOVED once it has moved, ASK while it moves") {
  redis_cluster cluster;
  auto ports = cluster.ports();
  auto o = options_for(ports.front());
  o.cluster = true;
  auto c = client_for(o);

  // MOVED: the slot is given to another master after the client learned the map.
  auto moved_key = cluster.key_owned_by(ports[0], "moving:");
  REQUIRE(set(*c, moved_key, "still here"));
  auto before = c->counters().redirections;
  cluster.move_slot(redis_cluster::slot_of(moved_key), ports[1]);
  auto read = get(*c, moved_key);
  INFO(describe(read));
  REQUIRE(read);
  CHECK(read->text == "still here");
  CHECK(c->counters().redirections == before + 1);
  CHECK(get(*c, moved_key)->text == "still here"); // the map was updated: no second redirection
  CHECK(c->counters().redirections == before + 1);

  // ASK: the slot is half-way to another master, and this key is already there.
  auto asked_key = cluster.key_owned_by(ports[2], "asking:");
  REQUIRE(set(*c, asked_key, "migrated"));
  auto slot = redis_cluster::slot_of(asked_key);
  cluster.begin_moving_slot(slot, ports[0], {asked_key});
  REQUIRE(cluster.command_on(ports[2], {"GET", asked_key}).error_code() == "ASK");
  before = c->counters().redirections;
  auto asked = get(*c, asked_key);
  INFO(describe(asked));
  REQUIRE(asked);
  CHECK(asked->text == "migrated");
  CHECK(c->counters().redirections == before + 1);
  // ASK is for this once: the slot still belongs to its old owner until the move completes.
  CHECK(get(*c, asked_key)->text == "migrated");
  CHECK(c->counters().redirections == before + 2);
  cluster.finish_moving_slot(slot, ports[0]);
  CHECK(get(*c, asked_key)->text == "migrated");
}

TEST_CASE(
    "redis client: the shared cache on a cluster, under its least ACL, keeps a partition and its leases in one slot and follows it when it moves") {
  redis_cluster cluster;
  auto ports = cluster.ports();
  // The documented rule, and what a cluster adds to it: the slot map, and ASKING while a slot moves.
  for (auto port : ports) {
    std::vector<std::string> setuser{"ACL", "SETUSER", "onbehalf", "on", ">cache-pass"};
    std::istringstream rules(store_acl_rules + " " + cluster_acl_rules);
    for (std::string rule; rules >> rule;) setuser.push_back(rule);
    REQUIRE(cluster.node(port).command(setuser).text == "OK");
  }
  auto o = options_for(ports[1]);
  o.cluster = true;
  o.user = "onbehalf";
  o.password = secret("cache-pass");
  auto a = store_with(o);
  o.endpoints = {{"127.0.0.1", ports[2]}}; // another instance, from another seed
  auto b = store_with(o);
  const std::string ada = "u|oid-ada.tid|";
  auto hash = a->hash_key(ada);
  auto slot = redis_cluster::slot_of(hash);
  CHECK(redis_cluster::slot_of(a->lease_key(ada, "rt|")) == slot);
  // PUBSUB NUMSUB counts a node's own subscribers: the instances may have subscribed anywhere.
  exercise_store(*a, *b, [&] {
    long long all = 0;
    for (auto port : ports) all += cluster.node(port).command({"PUBSUB", "NUMSUB", "onbehalf:events"}).elements.at(1).integer;
    return all;
  });

  // The partition's slot moves to another master: half-way (its hash there already, through
  // ASK), a read and a new lease still work; then for good (MOVED).
  REQUIRE(put_all(*a, ada, {{ada + "at", "moving", std::chrono::system_clock::now() + 1h}}));
  auto from = cluster.port_owning_slot(slot);
  auto to = from == ports[0] ? ports[1] : ports[0];
  cluster.begin_moving_slot(slot, to, {hash});
  CHECK(*get(*b, ada, ada + "at") == "moving");
  auto held = acquire(*a, ada, "at|");
  CHECK(held.state == cache::coordination::lease_state::acquired);
  cluster.finish_moving_slot(slot, to);
  CHECK(cluster.raw_on(to, {"EXISTS", a->lease_key(ada, "at|")}) == "1");
  CHECK(*get(*b, ada, ada + "at") == "moving");
  auto completed = complete(*a, held.held, {});
  REQUIRE(completed);
  CHECK(*completed);
  CHECK(a->failures() == 0);
  CHECK(b->failures() == 0);
}

TEST_CASE("redis client: publish and subscribe work across cluster nodes") {
  redis_cluster cluster;
  auto ports = cluster.ports();
  auto so = options_for(ports[0]);
  so.cluster = true;
  auto subscriber = client_for(so);
  auto po = options_for(ports[2]);
  po.cluster = true;
  auto publisher = client_for(po);
  inbox in;
  in.subscribe(*subscriber, "cluster-news");
  REQUIRE(delivered(*publisher, "cluster-news", "hello", in));
  // Subscribed on the first node, published on the third: the cluster bus carried it.
  CHECK(cluster.node(ports[0]).command({"PUBSUB", "NUMSUB", "cluster-news"}).elements.at(1).integer == 1);
  CHECK(cluster.node(ports[2]).command({"PUBSUB", "NUMSUB", "cluster-news"}).elements.at(1).integer == 0);
  CHECK(cluster.node(ports[2]).command_calls("publish") >= 1);
  CHECK(cluster.node(ports[0]).command_calls("publish") == 0);
}

// --- the app, started through its configuration ---

namespace {

// An app configured as in appsettings.json, its shared cache on Redis at `port`; `more` adds
// Onbehalf:Redis settings (JSON members).
std::string app_settings_json(std::uint16_t port, const std::string& password, const std::string& more = {}) {
  return R"({
  "AzureAd": {
    "Instance": "http://127.0.0.1:9/",
    "TenantId": "tenant-1",
    "ClientId": "web-app",
    "ClientCredentials": [ { "SourceType": "ClientSecret", "ClientSecret": "web-app-secret" } ]
  },
  "Onbehalf": {
    "Cache": {
      "Backend": "Redis",
      "EncryptionKeys": [ { "Id": "k1", "Key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" } ]
    },
    "Redis": { "Host": "127.0.0.1", "Port": )" +
         std::to_string(port) + (password.empty() ? std::string() : R"(, "Password": ")" + password + "\"") + more +
         R"(, "ConnectTimeoutMilliseconds": 500 }
  }
})";
}

config::app_settings settings_from(const testing::temp_dir& dir, std::uint16_t port, const std::string& password, const std::string& more = {}) {
  auto path = dir.write("appsettings.json", app_settings_json(port, password, more));
  testing::fake_environment environment{};
  auto loaded = config::load_settings(path, environment.get());
  for (const auto& e : loaded.errors) UNSCOPED_INFO(e.to_string());
  REQUIRE(loaded.settings);
  return std::move(*loaded.settings);
}

} // namespace

TEST_CASE("redis client: the app does not start when Redis refuses its password, and says to fix Onbehalf:Redis:Password") {
  redis_server server({.password = "right-password"});
  testing::temp_dir dir;
  testing::captured_log log;
  actors::token_acquirer_factory app(settings_from(dir, server.port(), "wrong-password"));
  auto started = clock_type::now();
  auto built = app.build();
  REQUIRE_FALSE(built);
  INFO(built.error());
  CHECK(built.error().find("Onbehalf:Redis:Password") != std::string::npos);
  CHECK(built.error().find("WRONGPASS") != std::string::npos);
  CHECK(built.error().find("wrong-password") == std::string::npos);
  CHECK(since(started) < 2s);
  CHECK(log.all().find("wrong-password") == std::string::npos);
}

TEST_CASE("redis client: with the right password the app starts and its Redis state says connected") {
  redis_server server({.password = "right-password"});
  testing::temp_dir dir;
  actors::token_acquirer_factory app(settings_from(dir, server.port(), "right-password"));
  auto built = app.build();
  INFO((built ? std::string() : built.error()));
  REQUIRE(built);
  CHECK(app.redis_state() == std::optional<std::string>("connected"));
  REQUIRE(app.durable_store());
  CHECK(std::string(app.durable_store()->kind()) == "redis");
}

TEST_CASE("redis client: with Redis down the app starts anyway, says so in its log, and its Redis state is not connected") {
  testing::closed_port nothing_there;
  testing::temp_dir dir;
  testing::captured_log log;
  actors::token_acquirer_factory app(settings_from(dir, nothing_there.number(), "right-password"));
  auto built = app.build();
  INFO((built ? std::string() : built.error()));
  REQUIRE(built);
  auto state = app.redis_state();
  REQUIRE(state);
  INFO(*state);
  CHECK(state->starts_with("unreachable"));
  CHECK(log.all().find("Redis is not reachable at start") != std::string::npos);
}

TEST_CASE("redis client: the app does not start when Redis wants a client certificate it lacks, and says to fix Onbehalf:Redis:Tls") {
  redis_server server({.tls = true, .tls_client_certificates = true});
  testing::temp_dir dir;
  actors::token_acquirer_factory app(
      settings_from(dir, server.port(), "", R"(, "Tls": { "Enabled": true, "CaBundlePath": ")" + server.tls_files().ca + "\" }"));
  auto built = app.build();
  REQUIRE_FALSE(built);
  INFO(built.error());
  CHECK(built.error().starts_with("Onbehalf:Redis:Tls"));
  CHECK(built.error().find("certificate") != std::string::npos);
}

TEST_CASE("redis client: the app does not start when its ACL user may not subscribe to the events channel, and says to fix that user's ACL") {
  // The keys and commands the cache needs, but no channel: Redis 7 gives new users none.
  redis_server server({.acl_users = {"onbehalf on >cache-pass ~onbehalf:* resetchannels +@all"}});
  testing::temp_dir dir;
  actors::token_acquirer_factory app(settings_from(dir, server.port(), "cache-pass", R"(, "User": "onbehalf")"));
  auto built = app.build();
  REQUIRE_FALSE(built);
  INFO(built.error());
  CHECK(built.error().starts_with("Onbehalf:Redis:User"));
  CHECK(built.error().find("NOPERM") != std::string::npos);
  CHECK(built.error().find("subscri") != std::string::npos);
}
