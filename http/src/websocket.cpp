#include "onbehalf/http/websocket.hpp"

namespace onbehalf::http {

websocket::websocket(message_handler on_message, close_handler on_close) : on_message_(std::move(on_message)), on_close_(std::move(on_close)) {}

void websocket::send(std::string text) {
  std::function<void(std::string)> write;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    if (!attached_) {
      pending_.push_back(std::move(text));
      return;
    }
    write = write_;
  }
  write(std::move(text));
}

void websocket::close() {
  std::function<void()> end;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    if (!attached_) {
      close_requested_ = true;
      return;
    }
    end = end_;
  }
  end();
}

bool websocket::is_open() const {
  std::lock_guard lock(mutex_);
  return !ended_;
}

void websocket::attach(std::function<void(std::string)> write, std::function<void()> end) {
  std::deque<std::string> pending;
  bool close_now = false;
  {
    std::lock_guard lock(mutex_);
    write_ = std::move(write);
    end_ = std::move(end);
    attached_ = true;
    pending.swap(pending_);
    close_now = close_requested_;
  }
  for (auto& text : pending) write_(std::move(text));
  if (close_now) end_();
}

void websocket::deliver(std::string text) {
  if (on_message_) on_message_(std::move(text));
}

void websocket::ended() {
  close_handler on_close;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
    on_close = std::move(on_close_);
    write_ = nullptr;
    end_ = nullptr;
  }
  if (on_close) on_close();
}

} // namespace onbehalf::http
