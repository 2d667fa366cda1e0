// The shared cache against a real redis-server on loopback: instances sharing entries, a
// partition's entries in one hash (written at once, removed at once, no scans), encryption at
// rest, leases that one holder at a time completes, announcements between instances, and Redis
// going away and coming back.
#include "../support/eventually.hpp"
#include "../support/redis_server.hpp"

#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/core/crypto.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::cache;
using onbehalf::testing::eventually;
using onbehalf::testing::redis_server;
using namespace std::chrono_literals;

namespace {

key_ring shared_keys() {
  static const key_ring ring = *key_ring::make({{"k1", secret(crypto::random_bytes(32))}});
  return ring;
}

std::unique_ptr<redis_store> store_for(const redis_server& server, std::chrono::milliseconds reconnect = 100ms,
                                       std::chrono::milliseconds command_timeout = 1000ms) {
  redis_options o;
  o.connection.endpoints = {{"127.0.0.1", server.port()}};
  o.connection.command_timeout = command_timeout;
  o.connection.reconnect_delay = reconnect;
  o.connection.max_reconnect_delay = 4 * reconnect;
  o.connection.subscriber_ping_interval = 500ms;
  auto store = redis_store::open(o, shared_keys());
  REQUIRE(store);
  return std::move(*store);
}

template <class T>
T wait_for(std::future<T> f) {
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

result<std::optional<std::string>, std::string> get(redis_store& s, const std::string& partition, const std::string& key) {
  std::promise<result<std::optional<std::string>, std::string>> done;
  s.get(partition, key, [&](auto r) { done.set_value(std::move(r)); });
  return wait_for(done.get_future());
}

result<bool, std::string> put(redis_store& s, const std::string& partition, const std::string& key, const std::string& value,
                              std::chrono::seconds ttl = 3600s) {
  std::promise<result<bool, std::string>> done;
  s.put(partition, key, value, std::chrono::system_clock::now() + ttl, [&](auto r) { done.set_value(std::move(r)); });
  return wait_for(done.get_future());
}

coordination::lease_answer acquire(redis_store& s, const std::string& partition, const std::string& name, std::chrono::milliseconds ttl = 5s) {
  std::promise<coordination::lease_answer> done;
  s.acquire(partition, name, ttl, [&](auto a) { done.set_value(std::move(a)); });
  return wait_for(done.get_future());
}

const std::string ada = "u|oid-ada.tid|";
const std::string token = "eyJhbGciOiJSUzI1NiJ9.shared-token-of-ada";

} // namespace

TEST_CASE("redis store: entries written together reach another instance together, each with its expiry") {
  redis_server server;
  auto first = store_for(server);
  auto second = store_for(server);
  std::promise<result<bool, std::string>> done;
  auto now = std::chrono::system_clock::now();
  first->put_all(ada, {{ada + "at", token, now + 1h}, {ada + "rt", "rotated-refresh-token", now + 24h}, {ada + "gone", "x", now - 1s}},
                 [&](auto r) { done.set_value(std::move(r)); });
  REQUIRE(wait_for(done.get_future()));
  CHECK(*get(*second, ada, ada + "at") == token);
  CHECK(*get(*second, ada, ada + "rt") == "rotated-refresh-token");
  CHECK_FALSE(*get(*second, ada, ada + "gone"));
  CHECK_FALSE(get(*second, "u|oid-grace.tid|", "u|oid-grace.tid|at")->has_value());
}

TEST_CASE("redis store: a partition is one hash-tagged hash, sealed at rest, kept as long as its longest-lived entry") {
  redis_server server;
  auto store = store_for(server);
  REQUIRE(put(*store, ada, ada + "at", token, 600s));
  REQUIRE(put(*store, ada, ada + "rt", "refresh", 7200s));
  REQUIRE(put(*store, ada, ada + "at", token, 60s)); // a shorter one later does not shorten the hash
  auto hash = store->hash_key(ada);
  CHECK(hash == "onbehalf:{u|oid-ada.tid|}");
  CHECK(server.raw({"TYPE", hash}).empty()); // a status reply: raw() shows only strings and integers
  CHECK(server.command({"TYPE", hash}).text == "hash");
  CHECK(server.raw({"HLEN", hash}) == "2");
  auto sealed = server.raw({"HGET", hash, ada + "at"});
  CHECK_FALSE(sealed.empty());
  CHECK(sealed.find("shared-token-of-ada") == std::string::npos);
  auto ttl = std::stoi(server.raw({"TTL", hash}));
  CHECK(ttl > 7100);
  CHECK(ttl <= 7200);
  CHECK(store->lease_key(ada, "rt|").starts_with(hash + ":lease:")); // the same slot in a cluster
}

TEST_CASE("redis store: a partition goes with one command, and removing it again scans nothing") {
  redis_server server;
  auto store = store_for(server);
  for (int i = 0; i < 30; ++i) REQUIRE(put(*store, ada, ada + std::to_string(i), "v"));
  REQUIRE(put(*store, "u|oid-grace.tid|", "u|oid-grace.tid|at", "v"));
  for (int round = 0; round < 2; ++round) {
    std::promise<result<std::size_t, std::string>> done;
    store->erase_partition(ada, [&](auto r) { done.set_value(std::move(r)); });
    auto removed = wait_for(done.get_future());
    REQUIRE(removed);
    CHECK(*removed == (round == 0 ? 30 : 0));
  }
  CHECK_FALSE(get(*store, ada, ada + "7")->has_value());
  CHECK(get(*store, "u|oid-grace.tid|", "u|oid-grace.tid|at")->has_value());
  for (const auto* keyspace_wide : {"scan", "keys", "flushdb", "flushall"}) CHECK(server.command_calls(keyspace_wide) == 0);
}

TEST_CASE("redis store: a value copied under another key does not open") {
  redis_server server;
  auto store = store_for(server);
  REQUIRE(put(*store, ada, ada + "at", token));
  auto hash = store->hash_key(ada);
  server.raw({"HSET", hash, ada + "mallory", server.raw({"HGET", hash, ada + "at"})});
  CHECK_FALSE(get(*store, ada, ada + "mallory")->has_value());
  CHECK(store->unreadable_entries() == 1);
}

TEST_CASE("redis store: one holder at a time gets a lease — the others are told it is held") {
  redis_server server;
  auto first = store_for(server);
  auto second = store_for(server);
  auto held = acquire(*first, ada, "rt|");
  REQUIRE(held.state == coordination::lease_state::acquired);
  CHECK(acquire(*second, ada, "rt|").state == coordination::lease_state::held_elsewhere);
  CHECK(acquire(*first, ada, "rt|").state == coordination::lease_state::held_elsewhere); // not even to the same store twice
  CHECK(acquire(*second, ada, "account").state == coordination::lease_state::acquired);  // another name is another lease
  // Only its owner gives a lease up: a release with another owner changes nothing.
  auto forged = held.held;
  forged.owner = "someone-else";
  second->release(forged);
  std::this_thread::sleep_for(50ms);
  CHECK(acquire(*second, ada, "rt|").state == coordination::lease_state::held_elsewhere);
  first->release(held.held);
  CHECK(eventually([&] { return acquire(*second, ada, "rt|").state == coordination::lease_state::acquired; }));
}

TEST_CASE("redis store: completing a lease writes its result and wakes a waiter on another instance") {
  redis_server server;
  auto holder = store_for(server);
  auto waiter = store_for(server);
  auto held = acquire(*holder, ada, "rt|");
  REQUIRE(held.state == coordination::lease_state::acquired);
  std::promise<void> woken;
  std::this_thread::sleep_for(100ms); // the waiter's subscription is up
  waiter->on_released(ada, "rt|", [&] { woken.set_value(); });
  std::promise<result<bool, std::string>> completed;
  auto now = std::chrono::system_clock::now();
  holder->complete(held.held, {{ada + "at", token, now + 1h}, {ada + "rt", "new-refresh-token", now + 24h}},
                   [&](auto r) { completed.set_value(std::move(r)); });
  auto written = wait_for(completed.get_future());
  REQUIRE(written);
  CHECK(*written);
  CHECK(woken.get_future().wait_for(2s) == std::future_status::ready);
  CHECK(*get(*waiter, ada, ada + "rt") == "new-refresh-token");
  CHECK(server.raw({"EXISTS", holder->lease_key(ada, "rt|")}) == "0");
}

TEST_CASE("redis store: a lease that ran out writes nothing when completed, and another holder's result stands") {
  redis_server server;
  auto late = store_for(server);
  auto next = store_for(server);
  auto expired = acquire(*late, ada, "rt|", 100ms);
  REQUIRE(expired.state == coordination::lease_state::acquired);
  REQUIRE(eventually([&] { return acquire(*next, ada, "rt|").state == coordination::lease_state::acquired; }));
  REQUIRE(put(*next, ada, ada + "rt", "the-next-holder's"));
  std::promise<result<bool, std::string>> completed;
  late->complete(expired.held, {{ada + "rt", "the-late-holder's", std::chrono::system_clock::now() + 1h}},
                 [&](auto r) { completed.set_value(std::move(r)); });
  auto written = wait_for(completed.get_future());
  REQUIRE(written);
  CHECK_FALSE(*written);
  CHECK(*get(*next, ada, ada + "rt") == "the-next-holder's");
}

TEST_CASE(
    "redis store: a lease Redis granted only after its taker gave up waiting (a pause) is released once Redis answers, not held for its whole time") {
  redis_server server;
  auto taker = store_for(server, 100ms, 200ms);
  auto other = store_for(server);
  REQUIRE(put(*taker, ada, ada + "at", token)); // connected
  server.pause();
  auto gave_up = acquire(*taker, ada, "rt|", 20s);
  REQUIRE(gave_up.state == coordination::lease_state::unavailable);
  server.resume(); // and runs the SET it was sent: the lease is the taker's, who does not know it
  auto resumed = std::chrono::steady_clock::now();
  REQUIRE(server.command_calls("set") == 1);
  CHECK(eventually([&] { return acquire(*other, ada, "rt|").state == coordination::lease_state::acquired; }, 5s));
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - resumed);
  WARN("another instance took the lease " << waited.count() << " ms after Redis resumed (it was granted for 20 s)");
}

TEST_CASE(
    "redis store: a lease completion Redis could not take (stopped) is sent again once it is back, so its result is stored and the lease freed") {
  redis_server server({.persistent = true});
  auto holder = store_for(server);
  auto reader = store_for(server);
  auto held = acquire(*holder, ada, "rt|", 20s);
  REQUIRE(held.state == coordination::lease_state::acquired);
  server.stop();
  std::promise<result<bool, std::string>> completed;
  auto now = std::chrono::system_clock::now();
  holder->complete(held.held, {{ada + "rt", "rotated-refresh-token", now + 24h}}, [&](auto r) { completed.set_value(std::move(r)); });
  REQUIRE_FALSE(wait_for(completed.get_future())); // the caller keeps the token in memory meanwhile
  server.start();
  CHECK(eventually([&] {
    auto stored = get(*reader, ada, ada + "rt");
    return stored && *stored == std::optional<std::string>("rotated-refresh-token");
  }));
  CHECK(eventually([&] { return acquire(*reader, ada, "rt|").state == coordination::lease_state::acquired; }, 2s));
}

TEST_CASE("redis store: an account change reaches the other instances, sealed, and not the instance that made it") {
  redis_server server;
  auto a = store_for(server);
  auto b = store_for(server);
  std::mutex m;
  std::vector<std::string> heard_by_a, heard_by_b;
  a->observe_account_changes(
      [&](std::string id) {
        std::lock_guard l(m);
        heard_by_a.push_back(id);
      },
      [] {});
  b->observe_account_changes(
      [&](std::string id) {
        std::lock_guard l(m);
        heard_by_b.push_back(id);
      },
      [] {});
  std::this_thread::sleep_for(100ms);
  a->announce_account_changed("oid-ada.tid");
  a->announce_account_changed("auth0|line\nbreak.h1"); // any `sub` an authority may send
  REQUIRE(eventually([&] {
    std::lock_guard l(m);
    return heard_by_b.size() == 2;
  }));
  // Whoever can publish on the channel without our keys changes nothing.
  server.raw({"PUBLISH", a->events_channel(), "changed oid-grace.tid"});
  REQUIRE(eventually([&] { return b->unreadable_messages() >= 1; }));
  std::lock_guard l(m);
  CHECK(heard_by_b == std::vector<std::string>{"oid-ada.tid", "auth0|line\nbreak.h1"});
  CHECK(heard_by_a.empty());
}

TEST_CASE("redis store: while Redis is down requests fail at once and are counted — back, it reconnects and says announcements may be lost") {
  redis_server server;
  auto store = store_for(server);
  std::atomic<int> gaps{0};
  store->observe_account_changes([](std::string) {}, [&] { ++gaps; });
  REQUIRE(put(*store, ada, ada + "at", token));
  REQUIRE(eventually([&] { return store->connected(); }));
  server.stop(); // Redis goes away

  auto started = std::chrono::steady_clock::now();
  auto failed = get(*store, ada, ada + "at");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().find("Redis") != std::string::npos);
  CHECK_FALSE(put(*store, ada, ada + "at", token));
  CHECK(acquire(*store, ada, "rt|").state == coordination::lease_state::unavailable);
  CHECK(store->failures() >= 3);
  CHECK(std::chrono::steady_clock::now() - started < 3s); // bounded by the timeouts, not hanging
  CHECK(eventually([&] { return !store->connected(); }));

  server.start(); // back, empty (no persistence)
  CHECK(eventually([&] { return bool(put(*store, ada, ada + "at", token)); }));
  CHECK(*get(*store, ada, ada + "at") == token);
  CHECK(eventually([&] { return gaps.load() >= 1; }));
}

TEST_CASE("redis store: a paused Redis makes calls time out instead of hanging, and they succeed once it resumes") {
  redis_server server;
  auto store = store_for(server);
  REQUIRE(put(*store, ada, ada + "at", token));
  server.pause();
  auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(get(*store, ada, ada + "at"));
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  server.resume();
  CHECK(eventually([&] { return bool(get(*store, ada, ada + "at")); }));
}

TEST_CASE("redis store: requests queued when the store stops are answered, not lost") {
  redis_server server;
  std::promise<bool> answered;
  {
    auto store = store_for(server);
    store->get(ada, ada + "at", [&](auto) { answered.set_value(true); });
  }
  CHECK(answered.get_future().wait_for(2s) == std::future_status::ready);
}
