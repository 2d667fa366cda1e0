#include "onbehalf/http/exchange.hpp"

#include "onbehalf/core/log.hpp"

namespace onbehalf::http {

exchange::exchange(request req, completion done) : request_(std::move(req)), done_(std::move(done)) {}

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

bool exchange::respond(response r) {
  if (answered_.exchange(true, std::memory_order_acq_rel)) return false;
  if (done_) {
    r.headers.set("X-Correlation-ID", request_.correlation_id);
    for (auto& h : extra_headers_) r.headers.add(h.name, std::move(h.value));
    auto done = std::move(done_);
    done(std::move(r), route_id);
  }
  return true;
}

} // namespace onbehalf::http
