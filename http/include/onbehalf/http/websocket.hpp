// A WebSocket a handler accepted (exchange::accept_websocket): text messages both ways, for
// server-driven pages. Safe from any thread: send() and close() are carried to the
// connection's I/O thread; messages sent before the handshake completes wait for it.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace onbehalf::http {

class websocket : public std::enable_shared_from_this<websocket> {
public:
  using message_handler = std::function<void(std::string text)>;
  using close_handler = std::function<void()>;

  websocket(message_handler on_message, close_handler on_close);

  /// Sends a text message; dropped once the socket has closed.
  void send(std::string text);
  /// Closes the socket (a normal closure).
  void close();
  bool is_open() const;

  // --- the server's side: how the connection carries messages in and out ---

  /// The connection is established: `write` sends one message on its I/O thread, `end` closes
  /// it. Messages sent before are written now, in order.
  void attach(std::function<void(std::string)> write, std::function<void()> end);
  /// A message arrived (on the connection's I/O thread).
  void deliver(std::string text);
  /// The connection has ended, for whatever reason; the close handler runs once.
  void ended();

private:
  mutable std::mutex mutex_;
  message_handler on_message_;
  close_handler on_close_;
  std::function<void(std::string)> write_;
  std::function<void()> end_;
  std::deque<std::string> pending_; // sent before attach()
  bool attached_ = false;
  bool ended_ = false;
  bool close_requested_ = false;
};

using websocket_ptr = std::shared_ptr<websocket>;

} // namespace onbehalf::http
