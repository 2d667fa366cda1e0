// The outgoing HTTP/1.1 client: keep-alive connections pooled per host, TLS with certificate
// and host name verification always on, timeouts, a response size limit, and one safe retry.
#pragma once

#include "onbehalf/core/cancellation.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/http/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::http {

namespace detail {
struct lane_access;
}

struct url {
  std::string scheme; // "http" or "https"
  std::string host;   // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target; // path and query, at least "/"

  /// Parses an absolute http(s) URL; nullopt for anything else, including a path or query with
  /// spaces or control characters (percent-encode them), which could end the request line.
  static std::optional<url> parse(std::string_view text);
};

struct client_options {
  std::string ca_bundle_path; // PEM file of extra trusted CAs (tests, private PKI); system CAs are always trusted
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds response_timeout{30'000}; // from sending the request to the whole response
  std::uint64_t max_response_bytes = 8 * 1024 * 1024;
  std::size_t max_idle_per_host = 256;            // per I/O thread: room for every connection a busy server keeps in use
  std::chrono::milliseconds idle_timeout{60'000}; // pooled connections unused this long are closed
  /// An HTTP proxy for every request: "http://host:port", or http://user:password@host:port.
  /// https goes through a CONNECT tunnel (TLS end to end); plain http is sent to it in absolute form.
  std::string proxy{};
  /// Hosts reached directly despite the proxy (as NO_PROXY): names, domains ("example.com" or
  /// ".example.com" cover their subdomains), "*" for all.
  std::vector<std::string> no_proxy{};
};

struct client_request {
  std::string method = "GET";
  std::string url;
  header_list headers;
  std::string body;
  std::optional<std::chrono::milliseconds> response_timeout; // overrides the client's
  /// Once cancelled (the caller's own client went away), the request stops where it is: its
  /// connection is closed, not pooled, and it ends with client_error::cancelled.
  cancellation_ptr cancel_with{};
};

struct client_response {
  unsigned status = 0;
  header_list headers;
  std::string body;
};

enum class client_error {
  invalid_url,
  invalid_request, // a method that is not a token: nothing was sent
  resolve_failed,
  connect_failed,
  tls_failed, // handshake or certificate verification failed
  timeout,
  connection_closed, // the server closed or reset the connection before answering
  response_too_large,
  malformed_response,
  cancelled, // the caller's cancellation stopped the request (client_request::cancel_with)
};

std::string_view to_string(client_error e);

struct client_failure {
  client_error error;
  std::string message; // plain words, naming the host
};

using client_result = result<client_response, client_failure>;

class client {
public:
  /// Starts the client's I/O thread. Fails when the CA bundle cannot be read.
  static result<std::unique_ptr<client>, std::string> create(client_options options = {});
  ~client(); // closes pooled connections; requests still in flight complete with connection_closed
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  using completion = std::function<void(client_result)>;

  /// Sends the request and calls `done` exactly once; never blocks. The request runs, and `done`
  /// is called, on the calling thread when it is an I/O thread of a server that shares its threads
  /// with this client (server::share_io_threads_with), and on the client's own I/O thread otherwise.
  /// A GET, HEAD, PUT, DELETE or OPTIONS that fails on a reused pooled connection before any
  /// answer arrives is retried once on a new connection; other methods are never retried.
  void send(client_request request, completion done);
  /// The same for a request its caller keeps, to send it again (a retry) without copying it;
  /// `response_timeout`, when set, overrides the request's for this send.
  void send(std::shared_ptr<const client_request> request, completion done, std::optional<std::chrono::milliseconds> response_timeout = std::nullopt);

  /// Calls `call` once, after `delay`, on the I/O thread a send() from here would use: how a
  /// caller waits before a retry without holding a thread. When the client closes first, `call`
  /// runs then, at once.
  void after(std::chrono::milliseconds delay, std::function<void()> call);

  /// Connections opened so far and currently idle in the pool (for tests and metrics).
  std::size_t connections_opened() const noexcept;
  std::size_t idle_connections() const noexcept;

private:
  friend struct detail::lane_access;
  client() = default;
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace onbehalf::http
