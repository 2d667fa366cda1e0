#include "onbehalf/cache/memory_cache.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace onbehalf::cache;
using namespace std::chrono_literals;

namespace {

struct test_clock {
  clock::time_point now{};
  memory_cache_options options(std::size_t max_bytes = 1 << 20, std::size_t shards = 1) {
    memory_cache_options o;
    o.max_bytes = max_bytes;
    o.shards = shards;
    o.now = [this] { return now; };
    return o;
  }
};

std::size_t cost_of(std::string_view key, std::string_view value) { return key.size() + value.size() + memory_cache::entry_overhead; }

} // namespace

TEST_CASE("a stored value is read back until it expires") {
  test_clock t;
  memory_cache c(t.options());
  REQUIRE(c.put("user-1|api|read", "token-a", t.now + 1h));
  CHECK(c.get("user-1|api|read") == "token-a");
  t.now += 59min;
  CHECK(c.get("user-1|api|read") == "token-a");
  t.now += 2min;
  CHECK_FALSE(c.get("user-1|api|read"));
  CHECK(c.statistics().entries == 0);
}

TEST_CASE("storing a key again replaces its value") {
  test_clock t;
  memory_cache c(t.options());
  c.put("k", "first", t.now + 1h);
  c.put("k", "second", t.now + 1h);
  CHECK(c.get("k") == "second");
  CHECK(c.statistics().entries == 1);
  CHECK(c.statistics().bytes == cost_of("k", "second"));
}

TEST_CASE("over its byte budget the cache drops the least recently used entries first") {
  test_clock t;
  memory_cache c(t.options(3 * cost_of("k1", "vvvv")));
  c.put("k1", "vvvv", t.now + 1h);
  c.put("k2", "vvvv", t.now + 1h);
  c.put("k3", "vvvv", t.now + 1h);
  CHECK(c.get("k1")); // k1 is now the most recent; k2 the least
  c.put("k4", "vvvv", t.now + 1h);
  CHECK_FALSE(c.get("k2"));
  CHECK(c.get("k1"));
  CHECK(c.get("k3"));
  CHECK(c.get("k4"));
  CHECK(c.statistics().evictions == 1);
  CHECK(c.statistics().bytes <= 3 * cost_of("k1", "vvvv"));
}

TEST_CASE("a value larger than the cache may hold is not cached") {
  test_clock t;
  memory_cache c(t.options(1024));
  CHECK_FALSE(c.put("huge", std::string(4096, 'x'), t.now + 1h));
  CHECK_FALSE(c.get("huge"));
}

TEST_CASE("a user's partition is removed at once by its prefix") {
  test_clock t;
  memory_cache c(t.options(1 << 20, 8));
  for (int i = 0; i < 20; ++i) {
    c.put("oid-1.tid|scope" + std::to_string(i), "v", t.now + 1h);
    c.put("oid-2.tid|scope" + std::to_string(i), "v", t.now + 1h);
  }
  CHECK(c.erase_prefix("oid-1.tid|") == 20);
  CHECK_FALSE(c.get("oid-1.tid|scope3"));
  CHECK(c.get("oid-2.tid|scope3"));
  c.erase("oid-2.tid|scope3");
  CHECK_FALSE(c.get("oid-2.tid|scope3"));
}

TEST_CASE("sweeping removes expired entries and keeps the rest") {
  test_clock t;
  memory_cache c(t.options(1 << 20, 4));
  c.put("short", "v", t.now + 1min);
  c.put("long", "v", t.now + 1h);
  t.now += 5min;
  CHECK(c.sweep_expired() == 1);
  CHECK(c.statistics().entries == 1);
  CHECK(c.get("long"));
}

TEST_CASE("hits and misses are counted") {
  test_clock t;
  memory_cache c(t.options());
  c.put("k", "v", t.now + 1h);
  CHECK(c.get("k"));
  CHECK_FALSE(c.get("other"));
  CHECK(c.statistics().hits == 1);
  CHECK(c.statistics().misses == 1);
}

TEST_CASE("threads reading and writing at once lose nothing that fits") {
  memory_cache c;
  auto expires = clock::now() + 1h;
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        auto key = "user-" + std::to_string(t) + "|" + std::to_string(i);
        c.put(key, key, expires);
        if (c.get(key) == key) ++found;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(found == 4 * 5000);
  CHECK(c.statistics().entries == 4 * 5000);
}
