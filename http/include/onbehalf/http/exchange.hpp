// One request in flight: what arrived, and the one-time way to answer it from any thread.
#pragma once

#include "onbehalf/core/cancellation.hpp"
#include "onbehalf/http/message.hpp"
#include "onbehalf/http/principal.hpp"
#include "onbehalf/http/websocket.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace onbehalf::http {

class exchange {
public:
  /// Carries the response (and the matched route, for metrics) back to the connection; installed by the server.
  using completion = std::function<void(response, std::size_t route_id)>;

  exchange(request&& req, completion done);
  /// A handler that drops its exchange without answering is a bug; the client still gets a 500.
  ~exchange();
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  const request& req() const noexcept { return request_; }

  /// Path parameters of the matched route ({id} in /todos/{id}), percent-decoded.
  std::string_view param(std::string_view name) const;
  void set_params(std::vector<std::pair<std::string, std::string>> params) { params_ = std::move(params); }

  /// Sends the response. Safe from any thread; only the first call counts.
  /// Returns false when the exchange was already answered.
  bool respond(response r);
  bool answered() const noexcept { return answered_.load(std::memory_order_acquire); }

  /// Cancelled when the client goes away before its answer (ASP.NET Core's RequestAborted): work
  /// done only for this answer can stop. Downstream calls made with signed_in_user(x) stop with it.
  cancellation_ptr request_aborted();
  /// The client went away: cancels request_aborted(). Called by the server.
  void abort_request();

  /// True for a WebSocket handshake (GET with Upgrade: websocket).
  bool wants_websocket() const;
  /// Answers a WebSocket handshake by accepting it; `on_message` and `on_close` run on the
  /// connection's I/O thread and must not block. A request that is not a handshake gets 426
  /// and null.
  std::shared_ptr<websocket> accept_websocket(std::function<void(std::string)> on_message, std::function<void()> on_close = {});

  /// A header every response to this request carries, whoever answers it (e.g. a renewed
  /// session cookie). Add before the handler runs.
  void add_response_header(std::string name, std::string value) { extra_headers_.push_back({std::move(name), std::move(value)}); }
  /// The signed-in user; set before a route that needs one runs, null on anonymous routes without a session.
  std::shared_ptr<const principal> user;
  /// Index of the matched route in the router, for metrics; the router's unmatched id otherwise.
  std::size_t route_id = 0;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

private:
  request request_;
  completion done_;
  std::vector<std::pair<std::string, std::string>> params_;
  std::vector<header_field> extra_headers_;
  std::atomic<bool> answered_{false};
  std::mutex abort_mutex_;
  bool aborted_ = false;
  cancellation_ptr abort_signal_; // made when first asked for: most requests never need one
};

using exchange_ptr = std::shared_ptr<exchange>;

} // namespace onbehalf::http
