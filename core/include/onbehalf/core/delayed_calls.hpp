// Functions run at a later time on one thread of their own: how test peers (the dev authority,
// the sample API) hold answers back to play a slow server, without a thread per request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace onbehalf {

class delayed_calls {
public:
  using clock = std::chrono::steady_clock;

  delayed_calls();
  ~delayed_calls(); // runs what is still waiting, at once
  delayed_calls(const delayed_calls&) = delete;
  delayed_calls& operator=(const delayed_calls&) = delete;

  /// Runs `call` at `when`; at once when release() has been called.
  void add(clock::time_point when, std::function<void()> call);
  /// Runs everything waiting now, and later additions at once, so a shutdown is not kept waiting.
  void release();
  /// How many calls wait for their time: a test can tell that a request has reached a slow peer.
  std::size_t waiting() const;

private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<clock::time_point, std::function<void()>> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace onbehalf
