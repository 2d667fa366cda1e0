// Many callers asking the token actor at once, and what they got back: for single-flight tests.
#pragma once

#include "onbehalf/actors/token_service.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string>

namespace onbehalf::testing {

struct concurrent_answers {
  int succeeded = 0;
  std::set<std::string> tokens; // the distinct access tokens handed out
};

/// Calls `ask(done)` `callers` times without waiting in between, then waits for every answer.
inline concurrent_answers ask_concurrently(int callers, const std::function<void(std::function<void(actors::token_service_outcome)>)>& ask) {
  std::mutex mutex;
  concurrent_answers out;
  std::atomic<int> answered{0};
  std::promise<void> all;
  for (int i = 0; i < callers; ++i) {
    ask([&](actors::token_service_outcome o) {
      if (o) {
        std::lock_guard lock(mutex);
        out.tokens.insert(o->access_token.reveal());
        ++out.succeeded;
      }
      if (++answered == callers) all.set_value();
    });
  }
  REQUIRE(all.get_future().wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  std::lock_guard lock(mutex);
  return out;
}

} // namespace onbehalf::testing
