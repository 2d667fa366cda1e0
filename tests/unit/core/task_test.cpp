#include "onbehalf/core/task.hpp"

#include <catch2/catch.hpp>

#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

using namespace onbehalf;

// Lambda coroutines here take what they use as parameters: captures live in the lambda object,
// which is gone after the first suspension; parameters live in the coroutine's frame.

namespace {

// A callback-style operation whose answers the test gives by hand, in any order.
struct pending_answers {
  std::mutex mutex;
  std::vector<std::function<void(int)>> callbacks;

  auto ask() {
    return when_called_back<int>([this](std::function<void(int)> done) {
      std::lock_guard lock(mutex);
      callbacks.push_back(std::move(done));
    });
  }
  std::size_t asked() {
    std::lock_guard lock(mutex);
    return callbacks.size();
  }
  void answer(std::size_t which, int value) {
    std::function<void(int)> done;
    {
      std::lock_guard lock(mutex);
      done = callbacks.at(which);
    }
    done(value);
  }
};

task<int> forty_two() { co_return 42; }

task<int> plus_one(task<int> inner) { co_return co_await inner + 1; }

task<int> throws() {
  throw std::runtime_error("broken");
  co_return 0;
}

// Runs a task to completion from the test's thread and hands back its value.
template <class T>
T run(task<T> t) {
  std::promise<T> out;
  start([](task<T> t, std::promise<T>& out) -> task<void> { out.set_value(co_await t); }(std::move(t), out));
  auto f = out.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  return f.get();
}

} // namespace

TEST_CASE("a task does nothing until it is awaited") {
  bool ran = false;
  auto t = [](bool& ran) -> task<void> {
    ran = true;
    co_return;
  }(ran);
  CHECK_FALSE(ran);
  start(std::move(t));
  CHECK(ran);
}

TEST_CASE("an awaited task's value reaches the awaiting task") { CHECK(run(plus_one(forty_two())) == 43); }

TEST_CASE("an exception a task lets escape is rethrown where it is awaited") {
  auto caught = run([]() -> task<std::string> {
    try {
      co_await throws();
    } catch (const std::runtime_error& e) {
      co_return std::string(e.what());
    }
    co_return std::string("nothing thrown");
  }());
  CHECK(caught == "broken");
}

TEST_CASE("an exception that escapes a started task goes to its error handler") {
  std::string seen;
  start([]() -> task<void> { co_await throws(); }(),
        [&](std::exception_ptr e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            seen = x.what();
          }
        });
  CHECK(seen == "broken");
}

TEST_CASE("a callback answered at once continues without suspending, on the same thread") {
  auto caller = std::this_thread::get_id();
  std::thread::id continued_on;
  int value = 0;
  start([](int& value, std::thread::id& continued_on) -> task<void> {
    value = co_await when_called_back<int>([](std::function<void(int)> done) { done(7); });
    continued_on = std::this_thread::get_id();
  }(value, continued_on));
  CHECK(value == 7);
  CHECK(continued_on == caller);
}

TEST_CASE("a callback answered later, on another thread, resumes the task there") {
  pending_answers pending;
  std::promise<std::thread::id> resumed_on;
  start([](pending_answers& pending, std::promise<std::thread::id>& resumed_on) -> task<void> {
    auto v = co_await pending.ask();
    CHECK(v == 5);
    resumed_on.set_value(std::this_thread::get_id());
  }(pending, resumed_on));
  REQUIRE(pending.asked() == 1);
  std::thread other([&] { pending.answer(0, 5); });
  auto other_id = other.get_id();
  other.join();
  CHECK(resumed_on.get_future().get() == other_id);
}

TEST_CASE("callbacks racing the suspension resume each task exactly once") {
  constexpr int rounds = 2000;
  std::atomic<int> finished{0};
  for (int i = 0; i < rounds; ++i) {
    start([](std::atomic<int>& finished, int i) -> task<void> {
      auto v = co_await when_called_back<int>([i](std::function<void(int)> done) { std::thread([done, i] { done(i); }).detach(); });
      if (v == i) finished.fetch_add(1);
    }(finished, i));
  }
  for (int wait = 0; wait < 500 && finished.load() < rounds; ++wait) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(finished.load() == rounds);
}

TEST_CASE("when_all starts every branch before any answers, and keeps each branch's value in place") {
  pending_answers pending;
  std::promise<std::tuple<int, int, int>> out;
  start([](pending_answers& pending, std::promise<std::tuple<int, int, int>>& out) -> task<void> {
    auto branch = [](pending_answers& p) -> task<int> { co_return co_await p.ask() * 10; };
    out.set_value(co_await when_all(branch(pending), branch(pending), branch(pending)));
  }(pending, out));
  REQUIRE(pending.asked() == 3); // all three in flight at once
  pending.answer(2, 3);
  pending.answer(0, 1);
  pending.answer(1, 2);
  CHECK(out.get_future().get() == std::tuple<int, int, int>{10, 20, 30});
}

TEST_CASE("when_all over a vector answers in the order of its tasks") {
  pending_answers pending;
  std::promise<std::vector<int>> out;
  start([](pending_answers& pending, std::promise<std::vector<int>>& out) -> task<void> {
    std::vector<task<int>> branches;
    for (int i = 0; i < 4; ++i) branches.push_back([](pending_answers& p) -> task<int> { co_return co_await p.ask(); }(pending));
    out.set_value(co_await when_all(std::move(branches)));
  }(pending, out));
  REQUIRE(pending.asked() == 4);
  for (int i = 3; i >= 0; --i) pending.answer(static_cast<std::size_t>(i), i);
  CHECK(out.get_future().get() == std::vector<int>{0, 1, 2, 3});
}

TEST_CASE("when_all with branches that finish at once does not suspend") {
  CHECK(run([]() -> task<int> {
          auto [a, b] = co_await when_all(forty_two(), forty_two());
          co_return a + b;
        }()) == 84);
}

// The forms the g++ 12 note in task.hpp calls safe, kept under test: values made by constructors
// inside a co_await expression, named aggregates, and lambdas capturing by reference.
namespace {
struct call_options {
  std::string relative_path;
  std::vector<std::string> scopes;
};
task<std::size_t> length_of(std::string a, const call_options& o) { co_return a.size() + o.relative_path.size() + o.scopes.size(); }
template <class F>
task<std::size_t> configured(F configure) {
  call_options o;
  configure(o);
  co_return o.relative_path.size();
}
} // namespace

TEST_CASE("strings made by constructors, named aggregates and capture-by-reference lambdas survive a co_await expression") {
  const std::string path = "api/a-path-long-enough-to-live-on-the-heap";
  CHECK(run([](std::string path) -> task<std::size_t> {
          call_options o{path, {"scope-one", "scope-two"}};
          auto a = co_await length_of(std::string(path) + "/x", o);
          auto b = co_await configured([&](call_options& c) { c.relative_path = path; });
          co_return a + b;
        }(path)) == (path.size() + 2) + path.size() + 2 + path.size());
}

TEST_CASE("sync_wait blocks until a task answered on another thread has finished") {
  pending_answers pending;
  std::thread answerer([&] {
    while (pending.asked() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    pending.answer(0, 41);
  });
  auto value = sync_wait([](pending_answers& p) -> task<int> { co_return co_await p.ask() + 1; }(pending));
  answerer.join();
  CHECK(value == 42);
}

TEST_CASE("sync_wait rethrows what the task let escape") { CHECK_THROWS_WITH(sync_wait(throws()), "broken"); }
