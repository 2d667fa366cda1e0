// One connection to one Redis node, plain or TLS: resolve → connect → TLS handshake → AUTH and
// SELECT → ready. Commands are pipelined: written as they come, answered in order. Everything
// runs on the client's one thread, so nothing here locks.
#pragma once

#include "onbehalf/redis/client.hpp"
#include "resp.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace onbehalf::redis::detail {

namespace asio = boost::asio;

/// Transport problems only: error replies arrive as replies (kind::error), so that MOVED and ASK
/// can be followed by whoever sent the command.
using raw_callback = std::function<void(result<reply, error>)>;

struct connection_settings {
  endpoint at;
  std::string user;
  secret password;
  int database = 0;
  asio::ssl::context* tls = nullptr; // null: plain TCP
  std::string server_name;           // what the certificate must name; empty: the host
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};
  resp::limits limits;
};

struct connection_events {
  std::function<void()> ready;
  std::function<void(const error&)> closed;
  /// Set for a subscriber: once ready, every reply goes here instead of to a caller.
  std::function<void(reply)> push;
};

class connection : public std::enable_shared_from_this<connection> {
public:
  connection(asio::io_context& io, const connection_settings& settings, connection_events events);

  void open();
  /// Queues `count` encoded commands answered together: `done` gets the first error reply among
  /// them, or else the last reply (ASKING then the command).
  void send(std::string encoded, std::size_t count, raw_callback done);
  /// Writes commands whose replies go to the push handler (SUBSCRIBE, PING on a subscriber).
  void send_unanswered(std::string encoded);
  /// Ends the connection; calls not yet answered get `why`.
  void close(const error& why);

  bool is_ready() const noexcept { return state_ == state::ready; }
  bool is_closed() const noexcept { return state_ == state::closed; }
  std::size_t outstanding() const noexcept { return waiting_.size() + held_.size(); }

private:
  enum class state { resolving, connecting, handshaking, authenticating, ready, closed };
  using clock = std::chrono::steady_clock;

  struct request {
    std::string encoded; // only while held before the connection is ready
    std::size_t replies = 1;
    raw_callback done;
    clock::time_point deadline;
    std::optional<reply> first_error;
  };

  std::string where() const;
  void on_resolved(const boost::system::error_code& ec, const asio::ip::tcp::resolver::results_type& results);
  void on_connected(const boost::system::error_code& ec);
  void on_handshake(const boost::system::error_code& ec);
  void authenticate();
  void become_ready();
  void flush();
  void on_written(const boost::system::error_code& ec);
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void deliver(reply r);
  void watch_deadlines();
  void expire_held(clock::time_point now);
  void lost(const boost::system::error_code& ec);
  void fail_transport(error::kind kind, std::string message);
  template <class Buffers, class Handler>
  void write_all(const Buffers& b, Handler&& h);
  template <class Buffers, class Handler>
  void read_some(const Buffers& b, Handler&& h);

  connection_settings settings_;
  connection_events events_;
  asio::ip::tcp::resolver resolver_;
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls_stream_;
  std::optional<asio::ip::tcp::socket> plain_;
  asio::steady_timer connect_timer_;
  asio::steady_timer deadline_timer_;
  bool deadline_armed_ = false;
  state state_ = state::resolving;

  std::deque<request> held_;    // sent before the connection was ready
  std::deque<request> waiting_; // written, in the order of their replies
  std::string out_;             // encoded commands not yet handed to a write
  std::string writing_;         // the bytes of the write in progress
  bool write_in_progress_ = false;
  std::string in_; // bytes read and not yet parsed into replies
  std::array<char, 16384> chunk_{};
};

} // namespace onbehalf::redis::detail
