// Time limits for the sockets of one I/O thread without a timer per operation. Beast's tcp_stream
// arms a timer around every read and write and cancels it after: a heap insert and removal under
// a lock, and one more completion to run, per operation (callgrind counted a tenth of the sample
// app's instructions per request in them). Here a socket only notes when it must next have made
// progress, and one timer per thread, ticking while any socket is watched, closes those that have
// not. A limit is enforced to within one tick: a tenth of the shortest limit seen, at least 10 ms
// and at most 1 s. Private to http/.
#pragma once

#include "beast_support.hpp"
#include "onbehalf/core/coarse_clock.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <unordered_set>

namespace onbehalf::http::detail {

class deadline;
class deadline_watch;

/// What a watch and its pending tick share: the tick may run after the watch is gone (a
/// client's lane on a server's thread is let go while that thread runs on), and then finds
/// nothing to watch.
struct watch_state {
  watch_state(asio::io_context& c, std::chrono::milliseconds t) : context(c), tick(t) {}
  asio::io_context& context;
  std::chrono::milliseconds tick;
  std::unordered_set<deadline*> watched;
  std::weak_ptr<steady_timer> timer; // the pending tick's
  bool ticking = false;
  bool stopped = false;

  // A limit shorter than ten ticks makes the ticks finer at once: a tenth of it, at least 10 ms.
  void refine(std::chrono::steady_clock::duration limit) {
    auto finer = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(limit / 10), std::chrono::milliseconds(10));
    if (finer >= tick) return;
    tick = finer;
    if (auto pending = timer.lock()) pending->cancel(); // its handler ticks again, finer
  }
};

/// When one socket must next have made progress. Touched only on its watch's thread; ends
/// before its watch does.
class deadline {
public:
  using clock = std::chrono::steady_clock;

  deadline(deadline_watch& watch, tcp_socket& socket);
  ~deadline() { state_.watched.erase(this); }
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;

  /// Once `limit` has passed (within a tick) the socket is closed: what is pending on it fails.
  void expires_after(clock::duration limit) {
    at_ = coarse_steady_now() + limit; // a tick is 10 ms or more: the kernel's last tick is near enough
    passed_ = false;
    if (limit < state_.tick * 10) state_.refine(limit);
  }
  void expires_never() { at_ = clock::time_point::max(); }
  /// True once the limit passed and the socket was closed for it.
  bool passed() const noexcept { return passed_; }

private:
  friend class deadline_watch;
  watch_state& state_;
  tcp_socket& socket_;
  clock::time_point at_ = clock::time_point::max();
  bool passed_ = false;
};

/// The deadlines of one I/O thread and the timer that enforces them. Used on that thread only.
class deadline_watch {
public:
  /// `tick`: how often deadlines are checked while any socket is watched, until a shorter limit
  /// asks for finer ticks.
  deadline_watch(asio::io_context& context, std::chrono::milliseconds tick) : state_(std::make_shared<watch_state>(context, tick)) {}
  deadline_watch(const deadline_watch&) = delete;
  deadline_watch& operator=(const deadline_watch&) = delete;

  /// A tick that suits limits of at least `shortest`: a tenth of it, within 10 ms and 1 s.
  static std::chrono::milliseconds tick_for(std::chrono::milliseconds shortest) {
    return std::clamp(shortest / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  }

  /// Stops ticking for good: a pending tick would keep a stopping thread's run() waiting for
  /// it. Deadlines noted after this are not enforced.
  void stop() {
    state_->stopped = true;
    if (auto timer = state_->timer.lock()) timer->cancel();
  }

private:
  friend class deadline;

  // Ticks only while something is watched, so an idle thread sleeps. The timer belongs to its
  // pending wait: an I/O context destroyed with a tick pending destroys the timer with it.
  static void schedule(const std::shared_ptr<watch_state>& s) {
    s->ticking = true;
    auto timer = std::make_shared<steady_timer>(s->context, s->tick);
    s->timer = timer;
    timer->async_wait([s, timer](beast::error_code ec) {
      s->ticking = false;
      if (!ec) cancel_passed(*s);
      if (!s->watched.empty() && !s->stopped) schedule(s);
    });
  }

  static void cancel_passed(watch_state& s) {
    auto now = coarse_steady_now();
    for (auto* d : s.watched) {
      if (d->at_ > now) continue;
      d->at_ = deadline::clock::time_point::max();
      d->passed_ = true;
      beast::error_code ignored;
      d->socket_.close(ignored); // not just cancel: an operation started after this tick fails too, as with Beast's timeouts
    }
  }

  std::shared_ptr<watch_state> state_;
};

inline deadline::deadline(deadline_watch& watch, tcp_socket& socket) : state_(*watch.state_), socket_(socket) {
  state_.watched.insert(this);
  if (!state_.ticking && !state_.stopped) deadline_watch::schedule(watch.state_);
}

} // namespace onbehalf::http::detail
