// The session actors: one per account, retired when idle, their state kept in the caches.
#include "../support/temp_dir.hpp"
#include "../support/test_actor_system.hpp"

#include "onbehalf/actors/session_service.hpp"
#include "onbehalf/cache/rocksdb_store.hpp"
#include "onbehalf/cache/token_records.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::actors;
using namespace std::chrono_literals;

namespace {

key_ring keys() { return *key_ring::make({{"k1", secret(std::string(32, 'k'))}}); }

std::string start(session_service& s, http::principal user) {
  std::promise<std::string> id;
  s.start(std::move(user), [&](std::string session_id) { id.set_value(std::move(session_id)); });
  auto f = id.get_future();
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

session_service::user_ptr find(session_service& s, const std::string& account, const std::string& id) {
  std::promise<session_service::user_ptr> user;
  s.find(account, id, [&](session_service::found u) { user.set_value(u ? *u : nullptr); });
  auto f = user.get_future();
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

void end(session_service& s, const std::string& account) {
  std::promise<void> done;
  s.end(account, [&] { done.set_value(); });
  REQUIRE(done.get_future().wait_for(5s) == std::future_status::ready);
}

http::principal ada() { return {"oid-ada.tid", {{"name", "Ada Lovelace"}}}; }

std::unique_ptr<cache::durable_store> rocksdb_at(const std::string& path) {
  auto store = cache::rocksdb_store::open(path, keys());
  REQUIRE(store);
  return cache::run_in_background(std::move(*store));
}

} // namespace

TEST_CASE("session service: a started session finds its user and their claims") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service sessions(*sys.system, {&l1, nullptr});
  auto id = start(sessions, ada());
  auto user = find(sessions, ada().home_account_id, id);
  REQUIRE(user);
  CHECK(user->display_name() == "Ada Lovelace");
  CHECK(user->home_account_id == "oid-ada.tid");
}

TEST_CASE("session service: an unknown session id of a known account is not signed in") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service sessions(*sys.system, {&l1, nullptr});
  start(sessions, ada());
  CHECK_FALSE(find(sessions, ada().home_account_id, "guessed"));
  CHECK_FALSE(find(sessions, "someone-else", "guessed"));
}

TEST_CASE("session service: each browser that signs in gets its own session of the account") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service sessions(*sys.system, {&l1, nullptr});
  auto laptop = start(sessions, ada());
  auto phone = start(sessions, ada());
  CHECK(laptop != phone);
  CHECK(find(sessions, ada().home_account_id, laptop));
  CHECK(find(sessions, ada().home_account_id, phone));
}

TEST_CASE("session service: a session past its absolute lifetime has ended") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service_options o{&l1, nullptr};
  o.absolute_lifetime = 1s;
  session_service sessions(*sys.system, o);
  auto id = start(sessions, ada());
  std::this_thread::sleep_for(1100ms);
  CHECK_FALSE(find(sessions, ada().home_account_id, id));
}

TEST_CASE("session service: a live session is found in place, on the caller's thread, before find returns") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service sessions(*sys.system, {&l1, nullptr});
  auto id = start(sessions, ada());
  std::thread::id answered_on;
  session_service::user_ptr user;
  sessions.find(ada().home_account_id, id, [&](session_service::found u) {
    answered_on = std::this_thread::get_id();
    if (u) user = std::move(*u);
  });
  CHECK(answered_on == std::this_thread::get_id());
  REQUIRE(user);
  CHECK(user->display_name() == "Ada Lovelace");
}

TEST_CASE("session service: a published session is found in place without a callback — another session id of the account is not") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service sessions(*sys.system, {&l1, nullptr});
  auto id = start(sessions, ada());
  auto user = sessions.find_published(ada().home_account_id, id);
  REQUIRE(user);
  CHECK(user->display_name() == "Ada Lovelace");
  CHECK_FALSE(sessions.find_published(ada().home_account_id, id + "x"));
  CHECK_FALSE(sessions.find_published("oid-nobody.tid", id));
}

TEST_CASE("session service: sessions read in place keep their account's actor from retiring") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service_options o{&l1, nullptr};
  o.actor_idle_timeout = 1s;
  session_service sessions(*sys.system, o);
  auto id = start(sessions, ada());
  for (int i = 0; i < 25; ++i) {
    CHECK(find(sessions, ada().home_account_id, id));
    std::this_thread::sleep_for(100ms);
  }
  CHECK(sessions.live_actors() == 1);
}

TEST_CASE("session service: an idle account's actor retires, its session is then not found in place, and its next request finds it again") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service_options o{&l1, nullptr};
  o.actor_idle_timeout = 1s;
  session_service sessions(*sys.system, o);
  auto id = start(sessions, ada());
  CHECK(sessions.live_actors() == 1);
  for (int i = 0; i < 50 && sessions.live_actors() > 0; ++i) std::this_thread::sleep_for(100ms);
  CHECK(sessions.live_actors() == 0);
  CHECK_FALSE(sessions.find_published(ada().home_account_id, id));
  auto user = find(sessions, ada().home_account_id, id);
  REQUIRE(user);
  CHECK(user->display_name() == "Ada Lovelace");
}

TEST_CASE("session service: sessions kept in RocksDB survive a restart") {
  testing::temp_dir dir;
  std::string id;
  {
    testing::test_actor_system sys;
    cache::memory_cache l1;
    auto store = rocksdb_at(dir.path("cache"));
    session_service sessions(*sys.system, {&l1, store.get()});
    id = start(sessions, ada());
  }
  testing::test_actor_system sys;
  cache::memory_cache fresh_l1;
  auto store = rocksdb_at(dir.path("cache"));
  session_service sessions(*sys.system, {&fresh_l1, store.get()});
  auto user = find(sessions, ada().home_account_id, id);
  REQUIRE(user);
  CHECK(user->display_name() == "Ada Lovelace");
}

TEST_CASE("session service: ending an account removes its session and tokens from every cache level") {
  testing::temp_dir dir;
  testing::test_actor_system sys;
  cache::memory_cache l1;
  auto store = rocksdb_at(dir.path("cache"));
  session_service sessions(*sys.system, {&l1, store.get()});
  auto id = start(sessions, ada());
  auto partition = cache::keys::user_partition(ada().home_account_id);
  auto token_key = cache::keys::refresh_token(partition);
  l1.put(token_key, "rt", cache::clock::now() + 1h);
  std::promise<void> stored;
  store->put(partition, token_key, "rt", std::chrono::system_clock::now() + 1h, [&](auto) { stored.set_value(); });
  stored.get_future().wait();
  end(sessions, ada().home_account_id);
  CHECK_FALSE(find(sessions, ada().home_account_id, id));
  CHECK_FALSE(l1.get(token_key));
  std::promise<bool> present;
  store->get(partition, token_key, [&](auto r) { present.set_value(r && r->has_value()); });
  CHECK_FALSE(present.get_future().get());
}

TEST_CASE("session service: many accounts at once each get their own actor") {
  testing::test_actor_system sys;
  cache::memory_cache l1;
  session_service sessions(*sys.system, {&l1, nullptr});
  constexpr int accounts = 300;
  std::vector<std::promise<std::string>> ids(accounts);
  for (int i = 0; i < accounts; ++i)
    sessions.start({"acct-" + std::to_string(i), {{"name", "user " + std::to_string(i)}}},
                   [&ids, i](std::string id) { ids[i].set_value(std::move(id)); });
  for (int i = 0; i < accounts; ++i) {
    auto id = ids[i].get_future().get();
    auto user = find(sessions, "acct-" + std::to_string(i), id);
    REQUIRE(user);
    CHECK(user->display_name() == "user " + std::to_string(i));
  }
  CHECK(sessions.live_actors() == accounts);
}
