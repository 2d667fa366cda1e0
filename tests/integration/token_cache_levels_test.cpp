// The token actor with an L2 below its L1: tokens survive a restart in RocksDB, instances share
// them through Redis, and an L2 that fails only costs a grant.
#include "../support/app_token_fixture.hpp"
#include "../support/redis_server.hpp"

#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/cache/rocksdb_store.hpp"
#include "onbehalf/cache/token_records.hpp"

#include <thread>

using namespace onbehalf;
using namespace std::chrono_literals;
using testing::app_tokens::fixture;

namespace {

key_ring cache_keys() {
  static const key_ring ring = *key_ring::make({{"k1", secret(std::string(32, 'c'))}});
  return ring;
}

std::unique_ptr<cache::durable_store> rocksdb_at(const std::string& path) {
  auto store = cache::rocksdb_store::open(path, cache_keys());
  REQUIRE(store);
  return cache::run_in_background(std::move(*store));
}

std::unique_ptr<cache::redis_store> redis_at(std::uint16_t port) {
  cache::redis_options o;
  o.connection.endpoints = {{"127.0.0.1", port}};
  o.connection.command_timeout = 200ms;
  auto store = cache::redis_store::open(o, cache_keys());
  REQUIRE(store);
  return std::move(*store);
}

// A second instance: its own token actor and L1, the same authority and L2.
struct second_instance {
  cache::memory_cache l1;
  std::unique_ptr<actors::token_service> tokens;
  second_instance(fixture& f, cache::durable_store* store) {
    actors::token_service_settings s;
    s.token_endpoint = f.authority.base_url() + "/tenant-1/oauth2/v2.0/token";
    s.tenant = "tenant-1";
    s.client = {identity::client_authentication::method::client_secret_post, "daemon", secret("daemon-secret-1"), nullptr};
    s.web = f.web.get();
    s.cache = &l1;
    s.store = store;
    tokens = std::make_unique<actors::token_service>(*f.runtime.system, s);
  }
  actors::token_service_outcome acquire() {
    std::promise<actors::token_service_outcome> done;
    tokens->acquire_token_for_app(testing::app_tokens::scope, [&](actors::token_service_outcome o) { done.set_value(std::move(o)); });
    auto answer = done.get_future();
    REQUIRE(answer.wait_for(10s) == std::future_status::ready);
    return answer.get();
  }
};

} // namespace

TEST_CASE("token cache levels: an app token kept in RocksDB is served after a restart with no new grant") {
  testing::temp_dir dir;
  fixture f;
  auto store = rocksdb_at(dir.path("cache"));
  f.start(300s, store.get());
  auto first = f.acquire();
  REQUIRE(first);
  f.tokens.reset();
  store.reset(); // the process ends
  store = rocksdb_at(dir.path("cache"));
  f.start(300s, store.get());
  auto after_restart = f.acquire();
  REQUIRE(after_restart);
  CHECK(after_restart->access_token.reveal() == first->access_token.reveal());
  CHECK(f.authority.token_requests("client_credentials") == 1);
}

TEST_CASE("token cache levels: without an L2 a restart costs a grant") {
  fixture f;
  REQUIRE(f.acquire());
  f.start();
  REQUIRE(f.acquire());
  CHECK(f.authority.token_requests("client_credentials") == 2);
}

TEST_CASE("token cache levels: two instances sharing Redis share tokens, with no new grant for the second") {
  testing::redis_server redis;
  fixture f;
  auto store_a = redis_at(redis.port());
  auto store_b = redis_at(redis.port());
  f.start(300s, store_a.get());
  auto via_a = f.acquire();
  REQUIRE(via_a);
  // A's write to Redis happens after A's caller has its token; B asks once it has landed.
  auto partition = cache::keys::app_partition("daemon", "tenant-1");
  auto key = cache::keys::access_tokens(partition, "api://orders");
  bool landed = false;
  for (int i = 0; i < 100 && !landed; ++i) {
    std::promise<bool> found;
    store_b->get(partition, key, [&](auto r) { found.set_value(r && *r); });
    landed = found.get_future().get();
    if (!landed) std::this_thread::sleep_for(10ms);
  }
  REQUIRE(landed);
  second_instance b(f, store_b.get());
  auto via_b = b.acquire();
  REQUIRE(via_b);
  CHECK(via_b->access_token.reveal() == via_a->access_token.reveal());
  CHECK(f.authority.token_requests("client_credentials") == 1);
}

TEST_CASE("token cache levels: with Redis gone mid-run, requests keep succeeding from L1 and the authority") {
  auto redis = std::make_unique<testing::redis_server>();
  fixture f;
  auto store = redis_at(redis->port());
  f.start(300s, store.get());
  REQUIRE(f.acquire());
  redis.reset();        // Redis is killed
  REQUIRE(f.acquire()); // from L1
  CHECK(f.authority.token_requests("client_credentials") == 1);
  testing::closed_port closed;
  auto other_store = redis_at(closed.number());
  second_instance b(f, other_store.get());
  auto answer = b.acquire(); // L1 miss, L2 down: the authority
  REQUIRE(answer);
  CHECK(f.authority.token_requests("client_credentials") == 2);
  CHECK(other_store->failures() > 0);
}
