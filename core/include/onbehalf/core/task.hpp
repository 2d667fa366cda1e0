// Coroutines for handlers and everything else that waits: task<T> (lazy: it runs when awaited or
// started), co_await on callback-style operations, when_all for fan-out, and start() for a task
// nobody awaits. A coroutine resumes on the thread that completed what it awaited — an actor
// thread, the HTTP client's I/O thread, or the caller's own thread when the answer was ready at
// once (a cached token) — so code after co_await must not block, as everywhere in onbehalf.
// As with every C++ coroutine, a lambda coroutine's captures live in the lambda object, not in
// the coroutine: what the body uses after a co_await must be a parameter (taken by value, or a
// reference to something that outlives the task), or belong to a lambda that outlives it (a
// route's handler does).
// g++ 12 (Debian 12's compiler) destroys some temporaries twice when they are made inside a
// co_await expression: brace-initialised aggregates (`co_await f(options{...})`) and lambdas
// that capture strings or other owning values by copy. Name such values before the co_await
// (`options o{...}; co_await f(o);`). Lambdas without captures, or capturing by reference, and
// values made by constructors (`std::string(...)`) are safe. A braced list that makes a vector
// inside a co_await expression (`co_await f({a, b})`) does not compile with g++ 12 ("array used
// as initializer"): name the vector first. tests/unit/core/task_test.cpp keeps the safe forms
// under test.
#pragma once

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace onbehalf {

template <class T = void>
class task;

namespace detail {

struct task_promise_base {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct final_awaiter {
    bool await_ready() noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> done) noexcept {
      auto next = done.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
struct task_promise : task_promise_base {
  std::optional<T> value;
  task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct task_promise<void> : task_promise_base {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (error) std::rethrow_exception(error);
  }
};

} // namespace detail

/// A coroutine that produces a T. Nothing runs until it is awaited (or passed to start()); its
/// frame is freed with the task object.
template <class T>
class [[nodiscard]] task {
public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  task() = default;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (handle_) handle_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(handle_); }

  auto operator co_await() const noexcept {
    struct awaiter {
      std::coroutine_handle<promise_type> handle;
      bool await_ready() const noexcept { return handle.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        handle.promise().continuation = caller;
        return handle; // symmetric transfer: no stack grows however long the chain of awaits
      }
      T await_resume() { return handle.promise().take(); }
    };
    return awaiter{handle_};
  }

private:
  std::coroutine_handle<promise_type> handle_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

// A coroutine that starts at once and frees itself when it ends: the driver of start() and when_all.
struct detached {
  struct promise_type {
    detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); } // the drivers catch everything themselves
  };
};

inline detached run_detached(task<void> t, std::function<void(std::exception_ptr)> on_error) {
  try {
    co_await t;
  } catch (...) {
    if (on_error) on_error(std::current_exception());
  }
}

// How a callback-style operation becomes awaitable. The callback may run before await_suspend
// returns (an answer ready at once) or on another thread at any time after; whichever of the
// two comes second resumes the coroutine, exactly once.
template <class T, class Start>
struct callback_awaiter {
  Start start;
  std::optional<T> value;
  std::atomic<int> stage{0}; // 0: started; 1: suspended; 2: the callback has run
  std::coroutine_handle<> waiting;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    waiting = h;
    start([this](T v) {
      value.emplace(std::move(v));
      if (stage.exchange(2, std::memory_order_acq_rel) == 1) waiting.resume();
    });
    return stage.exchange(1, std::memory_order_acq_rel) != 2; // already answered: go on without suspending
  }
  T await_resume() { return std::move(*value); }
};

// Counts the branches of a fan-out home; the last one to finish resumes the coroutine that waits.
struct join_counter {
  explicit join_counter(std::size_t branches) : remaining(branches + 1) {}
  std::atomic<std::size_t> remaining; // one extra for the waiter's own arrival after starting every branch
  std::coroutine_handle<> waiting;
  bool arrive() { return remaining.fetch_sub(1, std::memory_order_acq_rel) == 1; }
};

template <class T>
detached run_branch(const task<T>& t, std::optional<T>& slot, std::exception_ptr& error, join_counter& join) {
  try {
    slot.emplace(co_await t);
  } catch (...) {
    error = std::current_exception();
  }
  if (join.arrive()) join.waiting.resume();
}

struct join_awaiter {
  join_counter& join;
  std::function<void()> start_branches;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    join.waiting = h;
    start_branches();
    return !join.arrive(); // every branch finished while starting: go on without suspending
  }
  void await_resume() const noexcept {}
};

} // namespace detail

/// Awaits an operation that reports once through a callback: `start(callback)` begins it, and
/// co_await returns the value the callback was given.
///   auto token = co_await when_called_back<outcome>([&](auto done) { tokens.acquire_token_for_app(scope, done); });
template <class T, class Start>
auto when_called_back(Start start) {
  return detail::callback_awaiter<T, Start>{std::move(start), std::nullopt, {0}, {}};
}

/// Runs a task nobody awaits; `on_error` gets an exception it lets escape.
inline void start(task<void> t, std::function<void(std::exception_ptr)> on_error = {}) { detail::run_detached(std::move(t), std::move(on_error)); }

/// Runs a task and blocks the calling thread until it has finished; for programs without an
/// event loop of their own (a daemon's main). Never on one of onbehalf's actor or I/O threads:
/// the task may need that very thread to finish.
template <class T>
T sync_wait(task<T> t) {
  struct outcome {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
    std::exception_ptr error;
  } o;
  start([](task<T> t, outcome& o) -> task<void> {
    std::exception_ptr error;
    try {
      if constexpr (std::is_void_v<T>) {
        co_await t;
        o.value.emplace(true);
      } else {
        o.value.emplace(co_await t);
      }
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard lock(o.mutex);
    o.error = error;
    o.finished = true;
    o.done.notify_all();
  }(std::move(t), o));
  std::unique_lock lock(o.mutex);
  o.done.wait(lock, [&] { return o.finished; });
  if (o.error) std::rethrow_exception(o.error);
  if constexpr (!std::is_void_v<T>) return std::move(*o.value);
}

/// Runs tasks concurrently and waits for all of them: the fan-out of several downstream calls.
/// Each branch's outcome is its own; an exception from a branch is rethrown after all have ended.
template <class... T>
task<std::tuple<T...>> when_all(task<T>... branches) {
  std::tuple<std::optional<T>...> slots;
  std::exception_ptr errors[sizeof...(T)];
  detail::join_counter join(sizeof...(T));
  auto tasks = std::forward_as_tuple(branches...);
  detail::join_awaiter all_done{join, [&] {
                                  [&]<std::size_t... I>(std::index_sequence<I...>) {
                                    (detail::run_branch(std::get<I>(tasks), std::get<I>(slots), errors[I], join), ...);
                                  }
                                  (std::index_sequence_for<T...>{});
                                }};
  co_await all_done; // named: see the g++ 12 note at the top
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  co_return std::apply([](auto&... slot) { return std::tuple<T...>(std::move(*slot)...); }, slots);
}

/// The same for any number of tasks of one type, answered in their order.
template <class T>
task<std::vector<T>> when_all(std::vector<task<T>> branches) {
  std::vector<std::optional<T>> slots(branches.size());
  std::vector<std::exception_ptr> errors(branches.size());
  detail::join_counter join(branches.size());
  detail::join_awaiter all_done{join, [&] {
                                  for (std::size_t i = 0; i < branches.size(); ++i) detail::run_branch(branches[i], slots[i], errors[i], join);
                                }};
  co_await all_done;
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  std::vector<T> out;
  out.reserve(slots.size());
  for (auto& slot : slots) out.push_back(std::move(*slot));
  co_return out;
}

} // namespace onbehalf
