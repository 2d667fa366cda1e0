#include "onbehalf/http/exchange.hpp"

#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"

#include <algorithm>

namespace onbehalf::http {

exchange::exchange(request&& req, completion done) : request_(std::move(req)), done_(std::move(done)) {}

exchange::~exchange() {
  if (!answered()) {
    log_error("A handler finished without answering the request; sent 500",
              {{"cid", request_.correlation_id}, {"method", request_.method}, {"path", request_.path}});
    respond(response::error(500, "The server could not complete the request."));
  }
}

std::string_view exchange::param(std::string_view name) const {
  for (const auto& [k, v] : params_)
    if (k == name) return v;
  return {};
}

cancellation_ptr exchange::request_aborted() {
  std::lock_guard lock(abort_mutex_);
  if (!abort_signal_) {
    abort_signal_ = std::make_shared<cancellation>();
    if (aborted_) abort_signal_->cancel();
  }
  return abort_signal_;
}

void exchange::abort_request() {
  cancellation_ptr signal;
  {
    std::lock_guard lock(abort_mutex_);
    if (aborted_) return;
    aborted_ = true;
    signal = abort_signal_;
  }
  if (signal) signal->cancel(); // outside the lock: what it stops may ask for the signal again
}

bool exchange::wants_websocket() const {
  auto upgrade = request_.headers.find("Upgrade");
  return request_.method == "GET" && upgrade && text::iequals(*upgrade, "websocket");
}

std::shared_ptr<websocket> exchange::accept_websocket(std::function<void(std::string)> on_message, std::function<void()> on_close) {
  if (!wants_websocket()) {
    auto r = response::error(426, "This address speaks WebSocket only.");
    r.headers.set("Upgrade", "websocket");
    respond(std::move(r));
    return nullptr;
  }
  auto socket = std::make_shared<websocket>(std::move(on_message), std::move(on_close));
  response r;
  r.status = 101;
  r.upgrade = socket;
  respond(std::move(r));
  return socket;
}

namespace {

// A response that sets a cookie must not be kept by a shared cache, which would hand the cookie
// (a session, say, renewed on the way through) to everyone it serves. A handler's own private or
// no-store choice is kept; anything else becomes no-store, as ASP.NET Core's cookie handler does.
void keep_cookies_out_of_shared_caches(response& r) {
  bool sets_cookie =
      std::any_of(r.headers.all().begin(), r.headers.all().end(), [](const header_field& f) { return text::iequals(f.name, "Set-Cookie"); });
  if (!sets_cookie) return;
  auto cache_control = text::to_lower(r.headers.find("Cache-Control").value_or(""));
  if (cache_control.find("no-store") != std::string::npos || cache_control.find("private") != std::string::npos) return;
  r.headers.set("Cache-Control", "no-cache, no-store");
}

} // namespace

bool exchange::respond(response r) {
  if (answered_.exchange(true, std::memory_order_acq_rel)) return false;
  if (done_) {
    r.headers.set("X-Correlation-ID", request_.correlation_id);
    for (auto& h : extra_headers_) r.headers.add(h.name, std::move(h.value));
    keep_cookies_out_of_shared_caches(r);
    auto done = std::move(done_);
    done(std::move(r), route_id);
  }
  return true;
}

} // namespace onbehalf::http
