// Time limits for the sockets of one I/O thread without a timer per operation. Beast's tcp_stream
// arms a timer around every read and write and cancels it after: a heap insert and removal under
// a lock, and one more completion to run, per operation (a profile of the sample app showed this
// as a twentieth of its time). Here a socket only notes when it must next have made progress, and
// one timer per thread, ticking while any socket is watched, cancels the I/O of those that have
// not. A limit is enforced to within one tick. Private to http/.
#pragma once

#include "beast_support.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <unordered_set>

namespace onbehalf::http::detail {

class deadline_watch;

/// When one socket must next have made progress. Touched only on its watch's thread.
class deadline {
public:
  using clock = std::chrono::steady_clock;

  deadline(deadline_watch& watch, tcp::socket& socket);
  ~deadline();
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;

  /// The socket's pending and later operations are cancelled once `limit` has passed.
  void expires_after(clock::duration limit) {
    at_ = clock::now() + limit;
    passed_ = false;
  }
  void expires_never() { at_ = clock::time_point::max(); }
  /// True once the limit passed and the socket's operations were cancelled for it.
  bool passed() const noexcept { return passed_; }

private:
  friend class deadline_watch;
  deadline_watch& watch_;
  tcp::socket& socket_;
  clock::time_point at_ = clock::time_point::max();
  bool passed_ = false;
};

/// The deadlines of one I/O thread and the timer that enforces them.
class deadline_watch {
public:
  /// `tick`: how often deadlines are checked while any socket is watched.
  deadline_watch(asio::io_context& context, std::chrono::milliseconds tick) : context_(context), tick_(tick) {}
  deadline_watch(const deadline_watch&) = delete;
  deadline_watch& operator=(const deadline_watch&) = delete;

  /// A tick that suits limits of at least `shortest`: a tenth of it, within 10 ms and 1 s.
  static std::chrono::milliseconds tick_for(std::chrono::milliseconds shortest) {
    return std::clamp(shortest / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  }

  /// Stops ticking for good, on the watch's thread: a pending tick would keep a stopping thread's
  /// run() waiting for it. Deadlines noted after this are not enforced.
  void stop() {
    stopped_ = true;
    if (auto timer = timer_.lock()) timer->cancel();
  }

private:
  friend class deadline;

  // Ticks only while something is watched, so an idle thread sleeps.
  void watch(deadline* d) {
    watched_.insert(d);
    if (!ticking_ && !stopped_) schedule();
  }
  void unwatch(deadline* d) { watched_.erase(d); }

  // The timer belongs to its pending wait: an I/O context destroyed with a tick pending destroys
  // the timer with it, and nothing here outlives the context.
  void schedule() {
    ticking_ = true;
    auto timer = std::make_shared<asio::steady_timer>(context_, tick_);
    timer_ = timer;
    timer->async_wait([this, timer](beast::error_code ec) {
      ticking_ = false;
      if (!ec) cancel_passed();
      if (!watched_.empty() && !stopped_) schedule();
    });
  }

  void cancel_passed() {
    auto now = deadline::clock::now();
    for (auto* d : watched_) {
      if (d->at_ > now) continue;
      d->at_ = deadline::clock::time_point::max();
      d->passed_ = true;
      beast::error_code ignored;
      d->socket_.cancel(ignored);
    }
  }

  asio::io_context& context_;
  std::chrono::milliseconds tick_;
  std::unordered_set<deadline*> watched_;
  std::weak_ptr<asio::steady_timer> timer_; // the pending tick's
  bool ticking_ = false;
  bool stopped_ = false;
};

inline deadline::deadline(deadline_watch& watch, tcp::socket& socket) : watch_(watch), socket_(socket) { watch_.watch(this); }
inline deadline::~deadline() { watch_.unwatch(this); }

} // namespace onbehalf::http::detail
