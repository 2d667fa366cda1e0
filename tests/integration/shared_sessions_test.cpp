// Sessions shared through Redis by several instances — here, several session services, each with
// its own memory, actors and Redis connections, as separate processes would have: a sign-in at
// one is found at another, a sign-out at one ends the session at all, at once when announced and
// within the revalidation interval when the announcement is lost, and what an instance changed
// while Redis was away reaches the others when it is back.
#include "../support/redis_server.hpp"
#include "../support/test_actor_system.hpp"

#include "onbehalf/actors/session_service.hpp"
#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/cache/token_records.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::actors;
using namespace std::chrono_literals;
using testing::redis_server;

namespace {

key_ring keys() { return *key_ring::make({{"k1", secret(std::string(32, 'k'))}}); }

http::principal ada() { return {"oid-ada.tid", {{"name", "Ada Lovelace"}}}; }

// One instance: its memory, its Redis connections, its session actors.
struct instance {
  cache::memory_cache l1;
  std::unique_ptr<cache::redis_store> store;
  std::unique_ptr<session_service> sessions;

  instance(testing::test_actor_system& sys, const redis_server& redis, std::chrono::seconds revalidation = 30s) {
    cache::redis_options o;
    o.connection.endpoints = {{"127.0.0.1", redis.port()}};
    o.connection.reconnect_delay = 50ms;
    o.connection.max_reconnect_delay = 200ms;
    o.connection.command_timeout = 300ms;
    o.connection.subscriber_ping_interval = 300ms;
    store = cache::redis_store::open(o, keys()).value();
    session_service_options s{&l1, store.get()};
    s.coordination = store.get();
    s.revalidation_interval = revalidation;
    sessions = std::make_unique<session_service>(*sys.system, s);
    // The events subscription is up before the test goes on.
    for (int i = 0; i < 100 && !store->connected(); ++i) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(50ms);
  }
  ~instance() { sessions.reset(); }

  /// Starts a session; safe from any thread (no assertions here).
  std::future<std::string> begin_start(http::principal user) {
    auto id = std::make_shared<std::promise<std::string>>();
    sessions->start(std::move(user), [id](std::string session_id) { id->set_value(std::move(session_id)); });
    return id->get_future();
  }

  std::string start(http::principal user) {
    auto f = begin_start(std::move(user));
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    return f.get();
  }

  session_service::found look_up(const std::string& id, const std::string& account = ada().home_account_id) {
    std::promise<session_service::found> found;
    sessions->find(account, id, [&](session_service::found f) { found.set_value(std::move(f)); });
    auto f = found.get_future();
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    return f.get();
  }

  bool finds(const std::string& id, const std::string& account = ada().home_account_id) {
    auto found = look_up(id, account);
    return found && *found;
  }

  void end(const std::string& account = ada().home_account_id) {
    std::promise<void> done;
    sessions->end(account, [&] { done.set_value(); });
    REQUIRE(done.get_future().wait_for(5s) == std::future_status::ready);
  }
};

// How long `condition` took to hold, polled; none when it did not within `limit`.
template <class Condition>
std::optional<std::chrono::milliseconds> time_until(Condition condition, std::chrono::milliseconds limit = 5s) {
  auto started = std::chrono::steady_clock::now();
  while (!condition()) {
    if (std::chrono::steady_clock::now() - started > limit) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
}

} // namespace

TEST_CASE("shared sessions: a session started at one instance is found at another") {
  redis_server redis;
  testing::test_actor_system sys;
  instance a(sys, redis), b(sys, redis);
  auto first = a.start(ada());
  CHECK(b.finds(first));
  // B now holds the account in memory; a second browser's session, started at A, is found too.
  auto second = a.start(ada());
  CHECK(b.finds(second));
  CHECK(b.finds(first));
  CHECK_FALSE(b.finds("made-up"));
}

TEST_CASE("shared sessions: a sign-out at one instance ends the session at the others at once") {
  redis_server redis;
  testing::test_actor_system sys;
  instance a(sys, redis), b(sys, redis);
  auto id = a.start(ada());
  REQUIRE(b.finds(id));
  a.end();
  auto took = time_until([&] { return !b.finds(id); }, 1s);
  REQUIRE(took);
  WARN("B stopped finding the session " << took->count() << " ms after the sign-out at A");
  CHECK(*took < 1s);
}

TEST_CASE("shared sessions: a sign-out whose announcement is lost ends the session elsewhere within the revalidation interval, not before") {
  redis_server redis;
  testing::test_actor_system sys;
  instance a(sys, redis), b(sys, redis, 2s);
  auto id = a.start(ada());
  REQUIRE(b.finds(id));
  // The account goes from Redis with nobody told, as when B's subscription was down at the time.
  auto hash = a.store->hash_key(cache::keys::user_partition(ada().home_account_id));
  REQUIRE(redis.raw({"DEL", hash}) == "1");
  auto gone = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(300ms);
  CHECK(b.finds(id)); // believed until the interval has passed: the bound below is not luck
  auto took = time_until([&] { return !b.finds(id); }, 5s);
  REQUIRE(took);
  auto since = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - gone);
  WARN("B stopped finding the session " << since.count() << " ms after it went from Redis (revalidation interval: 2000 ms)");
  CHECK(since < 2500ms);
}

TEST_CASE("shared sessions: a sign-out made while Redis is down reaches the other instances once it is back") {
  redis_server redis({.persistent = true});
  testing::test_actor_system sys;
  instance a(sys, redis), b(sys, redis);
  auto id = a.start(ada());
  REQUIRE(b.finds(id));
  redis.stop();
  a.end(); // answered at once: the sign-out holds at A while Redis is away
  CHECK_FALSE(a.finds(id));
  CHECK(b.finds(id)); // B cannot know yet
  redis.start();
  auto took = time_until([&] { return !b.finds(id); }, 10s);
  REQUIRE(took);
  WARN("B stopped finding the session " << took->count() << " ms after Redis came back");
  CHECK(redis.raw({"EXISTS", a.store->hash_key(cache::keys::user_partition(ada().home_account_id))}) == "0");
}

TEST_CASE("shared sessions: while Redis is down, an instance that does not hold a session says it cannot tell, not that it ended") {
  redis_server redis;
  testing::test_actor_system sys;
  instance a(sys, redis), b(sys, redis);
  auto id = a.start(ada());
  redis.pause();
  auto during = b.look_up(id);
  CHECK_FALSE(during);
  CHECK(a.finds(id)); // A holds it, and goes on serving it
  redis.resume();
  CHECK(time_until([&] { return b.finds(id); }, 5s));
  auto unknown = b.look_up("made-up");
  REQUIRE(unknown);
  CHECK_FALSE(*unknown); // once the store answers, an unknown session is unknown
}

TEST_CASE("shared sessions: a sign-in made while Redis is down is written once it is back, and found everywhere") {
  redis_server redis({.persistent = true});
  testing::test_actor_system sys;
  instance a(sys, redis, 1s), b(sys, redis, 1s);
  auto before = a.start(ada());
  redis.stop();
  auto during = a.start(ada()); // a second browser signs in while Redis is away
  CHECK(a.finds(during));
  redis.start();
  CHECK(time_until([&] { return b.finds(during); }, 10s));
  // A revalidates from Redis after its interval and keeps both sessions: nothing was lost.
  std::this_thread::sleep_for(1200ms);
  CHECK(a.finds(during));
  CHECK(a.finds(before));
  CHECK(b.finds(before));
}

TEST_CASE("shared sessions: two instances starting sessions of one account at once keep them all") {
  redis_server redis;
  testing::test_actor_system sys;
  instance a(sys, redis), b(sys, redis);
  std::vector<std::future<std::string>> started;
  for (int i = 0; i < 8; ++i) started.push_back((i % 2 ? a : b).begin_start(ada()));
  std::vector<std::string> ids;
  for (auto& s : started) {
    REQUIRE(s.wait_for(10s) == std::future_status::ready);
    ids.push_back(s.get());
  }
  instance c(sys, redis); // a third instance reads the record as Redis has it
  for (const auto& id : ids) CHECK(c.finds(id));
}
