// For what another thread or process does in its own time: polls until `condition` holds, for up
// to `limit`. A test's verdict is the condition, never the time it took.
#pragma once

#include <chrono>
#include <thread>

namespace onbehalf::testing {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

} // namespace onbehalf::testing
