#include "onbehalf/core/delayed_calls.hpp"

namespace onbehalf {

delayed_calls::delayed_calls() : thread_([this] { run(); }) {}

delayed_calls::~delayed_calls() {
  release();
  thread_.join();
}

void delayed_calls::add(clock::time_point when, std::function<void()> call) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      pending_.emplace(when, std::move(call));
      wake_.notify_all();
      return;
    }
  }
  call(); // shutting down: nothing waits any more
}

void delayed_calls::release() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

std::size_t delayed_calls::waiting() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void delayed_calls::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_ && pending_.empty()) return;
    if (pending_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto next = pending_.begin();
    if (!stopping_ && next->first > clock::now()) {
      wake_.wait_until(lock, next->first);
      continue;
    }
    auto call = std::move(next->second);
    pending_.erase(next);
    lock.unlock();
    call();
    lock.lock();
  }
}

} // namespace onbehalf
