#include "onbehalf/core/cancellation.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace onbehalf;

TEST_CASE("cancellation runs each waiting stop once, when cancelled, and no stop it was told to forget") {
  cancellation c;
  int first = 0;
  int forgotten = 0;
  c.on_cancel([&] { ++first; });
  auto key = c.on_cancel([&] { ++forgotten; });
  c.forget(key);
  CHECK_FALSE(c.requested());
  CHECK(first == 0);
  c.cancel();
  c.cancel();
  CHECK(c.requested());
  CHECK(first == 1);
  CHECK(forgotten == 0);
}

TEST_CASE("cancellation: work that begins after the cancel is stopped at once, on the thread that asks") {
  cancellation c;
  c.cancel();
  auto asker = std::this_thread::get_id();
  std::thread::id ran_on;
  auto key = c.on_cancel([&] { ran_on = std::this_thread::get_id(); });
  CHECK(key == 0);
  CHECK(ran_on == asker);
  c.forget(key); // harmless
}

TEST_CASE("cancellation: a stop may register or forget work without deadlocking") {
  cancellation c;
  int later = 0;
  std::uint64_t other = c.on_cancel([&] { ++later; });
  c.on_cancel([&] {
    c.forget(other);
    c.on_cancel([&] { ++later; }); // already cancelled: runs at once
  });
  c.cancel();
  CHECK(later >= 1);
}

TEST_CASE("cancellation: cancelled from another thread while stops are registered, each runs exactly once") {
  for (int round = 0; round < 50; ++round) {
    cancellation c;
    std::atomic<int> ran{0};
    std::thread canceller([&] { c.cancel(); });
    for (int i = 0; i < 100; ++i) c.on_cancel([&] { ran.fetch_add(1); });
    canceller.join();
    CHECK(ran.load() == 100);
  }
}
