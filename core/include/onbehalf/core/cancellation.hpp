// Tells work started for someone that its result is no longer wanted: the client of a request
// went away, so the downstream call made for its answer can stop (ASP.NET Core's
// HttpContext.RequestAborted). Safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace onbehalf {

class cancellation {
public:
  bool requested() const noexcept { return requested_.load(std::memory_order_acquire); }

  /// Calls `stop` once when cancelled: at once, on this thread, when it already is; otherwise on
  /// the thread that cancels. Returns a key for forget(); 0 when `stop` has already run.
  std::uint64_t on_cancel(std::function<void()> stop);

  /// The work is over: its `stop` is not needed any more.
  void forget(std::uint64_t key);

  /// The first call runs every `stop` waiting; later calls do nothing.
  void cancel();

private:
  std::mutex mutex_;
  std::atomic<bool> requested_{false};
  std::uint64_t next_key_ = 1;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> waiting_;
};

using cancellation_ptr = std::shared_ptr<cancellation>;

} // namespace onbehalf
