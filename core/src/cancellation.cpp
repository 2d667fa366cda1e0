#include "onbehalf/core/cancellation.hpp"

#include <algorithm>

namespace onbehalf {

std::uint64_t cancellation::on_cancel(std::function<void()> stop) {
  {
    std::lock_guard lock(mutex_);
    if (!requested()) {
      auto key = next_key_++;
      waiting_.emplace_back(key, std::move(stop));
      return key;
    }
  }
  stop();
  return 0;
}

void cancellation::forget(std::uint64_t key) {
  if (key == 0) return;
  std::lock_guard lock(mutex_);
  std::erase_if(waiting_, [key](const auto& w) { return w.first == key; });
}

void cancellation::cancel() {
  decltype(waiting_) stops;
  {
    std::lock_guard lock(mutex_);
    if (requested()) return;
    requested_.store(true, std::memory_order_release);
    stops.swap(waiting_);
  }
  // Outside the lock: a stop may forget() or register more work.
  for (auto& [key, stop] : stops) stop();
}

} // namespace onbehalf
