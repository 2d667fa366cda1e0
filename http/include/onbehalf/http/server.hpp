// The HTTP/1.1 server: Beast on Asio, plain or TLS, keep-alive, limits and timeouts,
// graceful shutdown. It hands each request to a dispatcher and never waits on it.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/http/exchange.hpp"
#include "onbehalf/http/metrics.hpp"
#include "onbehalf/http/router.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace onbehalf::http {

/// Receives every parsed request. Implementations must not block: they hand the exchange
/// on (to an actor, a thread, or a quick inline handler) and return.
class dispatcher {
public:
  virtual ~dispatcher() = default;
  virtual void dispatch(exchange_ptr x) = 0;
};

/// Runs the router's handler on the I/O thread itself: the bare baseline and a test seam.
class inline_dispatcher final : public dispatcher {
public:
  explicit inline_dispatcher(const router& r) : router_(r) {}
  void dispatch(exchange_ptr x) override { route_and_handle(router_, x); }

private:
  const router& router_;
};

struct server_limits {
  std::uint32_t max_request_header_bytes = 32 * 1024;
  std::uint64_t max_request_body_bytes = 1024 * 1024;
  std::chrono::milliseconds request_headers_timeout{30'000};
  std::chrono::milliseconds keep_alive_timeout{120'000};
  std::chrono::milliseconds shutdown_timeout{30'000};
  /// Connections beyond this get a 503 (over TLS: are closed) without being read.
  std::size_t max_connections = 10'000;
  /// A larger incoming WebSocket message closes its socket (1009, too big).
  std::size_t max_websocket_message_bytes = 64 * 1024;
  /// A WebSocket reader this many bytes behind on what is sent to it is disconnected.
  std::size_t max_websocket_backlog_bytes = 1 << 20;
};

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;           // 0 picks a free port; see server::port()
  std::string tls_certificate_path; // TLS when set, with tls_key_path
  std::string tls_key_path;
  unsigned io_threads = 1;
  server_limits limits;
};

class server {
public:
  /// `metrics` may be null; when set it must outlive the server.
  server(server_options options, dispatcher& d, request_metrics* metrics = nullptr);
  ~server(); // stops gracefully if still running
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Lends the server's I/O threads to `c` (call before start): a request a handler sends with
  /// `c` from one of them runs on that same thread, with the client's connections for that
  /// thread, so a request served with a downstream call never changes threads. The server stops
  /// using the client's lanes when it stops; the client may be destroyed before or after it.
  void share_io_threads_with(client& c);

  /// Binds and starts the I/O threads. Fails with a plain-words reason (address in use,
  /// unreadable certificate...) and leaves nothing running.
  result<std::uint16_t, std::string> start();

  /// Begins a graceful shutdown and returns: no new connections; idle connections close;
  /// requests in flight finish (within shutdown_timeout) and their connections then close.
  void stop();

  /// Blocks until the server has stopped.
  void wait();

  std::uint16_t port() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::http
