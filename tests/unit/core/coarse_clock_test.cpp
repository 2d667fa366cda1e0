#include "onbehalf/core/coarse_clock.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace std::chrono_literals;

TEST_CASE("the coarse clock is never ahead of the steady clock, and at most a few ticks behind it") {
  for (int i = 0; i < 1000; ++i) {
    auto coarse = onbehalf::coarse_steady_now();
    auto fine = std::chrono::steady_clock::now();
    CHECK(coarse <= fine);
    CHECK(fine - coarse < 50ms);
  }
}

TEST_CASE("the coarse clock moves on") {
  auto before = onbehalf::coarse_steady_now();
  std::this_thread::sleep_for(30ms);
  CHECK(onbehalf::coarse_steady_now() - before >= 20ms);
}
