// The shared cache against a real redis-server on loopback: two instances sharing entries,
// encryption at rest, expiry, partitions, and Redis going away and coming back.
#include "../support/redis_server.hpp"

#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/core/crypto.hpp"

#include <catch2/catch.hpp>


#include <future>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::cache;
using onbehalf::testing::redis_server;
using namespace std::chrono_literals;

namespace {

key_ring shared_keys() {
  static const key_ring ring = *key_ring::make({{"k1", secret(crypto::random_bytes(32))}});
  return ring;
}

std::unique_ptr<redis_store> store_for(const redis_server& server, std::chrono::milliseconds reconnect = 1000ms) {
  redis_options o;
  o.port = server.port();
  o.reconnect_interval = reconnect;
  return std::make_unique<redis_store>(o, shared_keys());
}

result<std::optional<std::string>, std::string> get(redis_store& s, const std::string& key) {
  std::promise<result<std::optional<std::string>, std::string>> done;
  auto f = done.get_future();
  s.get(key, [&](auto r) { done.set_value(std::move(r)); });
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

result<bool, std::string> put(redis_store& s, const std::string& key, const std::string& value, std::chrono::seconds ttl = 3600s) {
  std::promise<result<bool, std::string>> done;
  auto f = done.get_future();
  s.put(key, value, std::chrono::system_clock::now() + ttl, [&](auto r) { done.set_value(std::move(r)); });
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  return f.get();
}

const std::string token = "eyJhbGciOiJSUzI1NiJ9.shared-token-of-ada";

} // namespace

TEST_CASE("redis store: entries written together reach another instance together, each with its expiry") {
  redis_server server;
  auto first = store_for(server);
  auto second = store_for(server);
  std::promise<result<bool, std::string>> done;
  auto now = std::chrono::system_clock::now();
  first->put_all({{"ada|at", token, now + 1h}, {"ada|rt", "rotated-refresh-token", now + 24h}, {"ada|gone", "x", now - 1s}},
                 [&](auto r) { done.set_value(std::move(r)); });
  REQUIRE(done.get_future().get());
  CHECK(*get(*second, "ada|at") == token);
  CHECK(*get(*second, "ada|rt") == "rotated-refresh-token");
  CHECK_FALSE(*get(*second, "ada|gone"));
}

TEST_CASE("redis store: what one instance writes, another instance reads") {
  redis_server server;
  auto first = store_for(server);
  auto second = store_for(server);
  REQUIRE(put(*first, "ada|api://todo|read", token));
  auto read = get(*second, "ada|api://todo|read");
  REQUIRE(read);
  CHECK(*read == token);
  CHECK(get(*second, "grace|api://todo|read")->has_value() == false);
}

TEST_CASE("redis store: values are sealed at rest and expire with their token") {
  redis_server server;
  auto store = store_for(server);
  REQUIRE(put(*store, "ada|token", token, 600s));
  auto raw = server.raw({"GET", "onbehalf:ada|token"});
  CHECK_FALSE(raw.empty());
  CHECK(raw.find("shared-token-of-ada") == std::string::npos);
  auto ttl = std::stoi(server.raw({"TTL", "onbehalf:ada|token"}));
  CHECK(ttl > 590);
  CHECK(ttl <= 600);
}

TEST_CASE("redis store: a user's partition is removed by prefix, glob characters taken literally") {
  redis_server server;
  auto store = store_for(server);
  for (int i = 0; i < 30; ++i) {
    REQUIRE(put(*store, "oid-1.tid|" + std::to_string(i), "v"));
    REQUIRE(put(*store, "oid-2.tid|" + std::to_string(i), "v"));
  }
  REQUIRE(put(*store, "oid-*|x", "v"));
  std::promise<result<std::size_t, std::string>> done;
  store->erase_prefix("oid-1.tid|", [&](auto r) { done.set_value(std::move(r)); });
  auto removed = done.get_future().get();
  REQUIRE(removed);
  CHECK(*removed == 30);
  CHECK_FALSE(get(*store, "oid-1.tid|7")->has_value());
  CHECK(get(*store, "oid-2.tid|7")->has_value());
  std::promise<result<std::size_t, std::string>> literal;
  store->erase_prefix("oid-*", [&](auto r) { literal.set_value(std::move(r)); });
  CHECK(*literal.get_future().get() == 1);
}

TEST_CASE("redis store: a value copied under another key does not open") {
  redis_server server;
  auto store = store_for(server);
  REQUIRE(put(*store, "ada|token", token));
  server.raw({"SET", "onbehalf:mallory|token", server.raw({"GET", "onbehalf:ada|token"})});
  CHECK_FALSE(get(*store, "mallory|token")->has_value());
  CHECK(store->unreadable_entries() == 1);
}

TEST_CASE("redis store: while Redis is down requests fail at once and are counted, then it reconnects by itself") {
  auto port = testing::free_loopback_port();
  auto server = std::make_unique<redis_server>(port);
  auto store = store_for(*server, 100ms);
  REQUIRE(put(*store, "ada|token", token));
  server.reset(); // Redis goes away

  auto started = std::chrono::steady_clock::now();
  auto failed = get(*store, "ada|token");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().find("unreachable") != std::string::npos);
  CHECK_FALSE(put(*store, "ada|token", token));
  CHECK(store->failures() >= 2);
  CHECK_FALSE(store->connected());
  CHECK(std::chrono::steady_clock::now() - started < 3s); // bounded by the command timeout, not hanging

  server = std::make_unique<redis_server>(port); // Redis is back (empty: no persistence)
  for (int i = 0; i < 50 && !put(*store, "ada|token", token); ++i) std::this_thread::sleep_for(100ms);
  CHECK(store->connected());
  auto read = get(*store, "ada|token");
  REQUIRE(read);
  CHECK(*read == token);
}

TEST_CASE("redis store: requests queued when the store stops are answered, not lost") {
  redis_server server;
  std::promise<bool> answered;
  {
    auto store = store_for(server);
    store->get("k", [&](auto) { answered.set_value(true); });
  }
  CHECK(answered.get_future().wait_for(2s) == std::future_status::ready);
}
