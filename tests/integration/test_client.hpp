// A deliberately raw HTTP client over POSIX sockets (optionally TLS), so tests can send
// exactly the bytes they mean: malformed lines, huge headers, slow trickles, pipelines.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct ssl_st;
struct ssl_ctx_st;

namespace onbehalf::testing {

struct http_reply {
  int status = 0;
  std::string head; // status line and headers
  std::string body;
  std::optional<std::string> header(std::string_view name) const;
};

class raw_connection {
public:
  /// Connects to 127.0.0.1:port; with `tls` it completes a TLS handshake (any certificate accepted).
  explicit raw_connection(std::uint16_t port, bool tls = false);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  bool connected() const noexcept { return fd_ >= 0 && (!tls_ || ssl_); }
  void send(std::string_view bytes);
  /// Leaves as a polite client does: over TLS a close_notify first, then the socket is closed.
  void close();
  /// Half-closes a plain connection: the server sees the end of the request stream, and can still answer.
  void finish_sending();
  /// Reads one response (Content-Length or chunked body; none for `head_request`).
  std::optional<http_reply> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(5), bool head_request = false);
  /// True when the server closes the connection within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout);
  /// True when the server resets the connection within `timeout`: it closed with bytes it had not
  /// read, or got more after it closed. Found by sending a byte now and then, since after the
  /// server's FIN a reset shows in sends, not reads.
  bool reset_by_server(std::chrono::milliseconds timeout);

private:
  bool fill(std::chrono::steady_clock::time_point deadline); // reads more bytes into buffer_; false on close/timeout
  int fd_ = -1;
  bool tls_ = false;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string buffer_;
};

/// Sends raw request bytes on a fresh connection and reads one response.
std::optional<http_reply> round_trip(std::uint16_t port, std::string_view raw_request, bool tls = false);

/// One GET on a fresh connection.
std::optional<http_reply> http_get(std::uint16_t port, std::string_view path, bool tls = false);

} // namespace onbehalf::testing
