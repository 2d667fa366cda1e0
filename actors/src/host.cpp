#include "onbehalf/actors/host.hpp"

#include "onbehalf/actors/front.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/http/metrics.hpp"
#include "onbehalf/http/server.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

namespace onbehalf::actors {

namespace {

http::server_options server_options_from(const config::host_options& h) {
  http::server_options o;
  o.address = h.listen_address;
  o.port = h.port;
  o.tls_certificate_path = h.tls.certificate_path;
  o.tls_key_path = h.tls.key_path;
  o.io_threads = h.io_threads;
  o.limits.max_request_header_bytes = h.limits.max_request_header_bytes;
  o.limits.max_request_body_bytes = h.limits.max_request_body_bytes;
  o.limits.request_headers_timeout = h.limits.request_headers_timeout;
  o.limits.keep_alive_timeout = h.limits.keep_alive_timeout;
  o.limits.shutdown_timeout = h.limits.shutdown_timeout;
  return o;
}

} // namespace

struct host::impl {
  config::app_settings settings;
  http::router router;
  std::unique_ptr<http::request_metrics> metrics;
  std::unique_ptr<caf::actor_system_config> actor_config;
  std::unique_ptr<caf::actor_system> system;
  std::unique_ptr<front_dispatcher> front;
  std::unique_ptr<http::server> server;

  void add_builtin_routes() {
    router.get("/healthz", [](const http::exchange_ptr& x) { x->respond(http::response::json(200, "{\"status\":\"ok\"}")); })
        .anonymous = true;
    router.get("/metrics", [this](const http::exchange_ptr& x) {
      auto r = http::response::text(200, metrics->render());
      r.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      x->respond(std::move(r));
    }).anonymous = true;
  }
};

host::host(config::app_settings settings) : impl_(std::make_unique<impl>()) {
  impl_->settings = std::move(settings);
  if (auto level = parse_log_level(impl_->settings.host.log_level)) logger::global().set_level(*level);
}

host::~host() {
  stop();
  wait();
}

http::router& host::routes() { return impl_->router; }
const config::app_settings& host::settings() const { return impl_->settings; }

result<std::uint16_t, std::string> host::start() {
  auto& i = *impl_;
  i.add_builtin_routes();
  i.metrics = std::make_unique<http::request_metrics>(i.router);
  i.actor_config = std::make_unique<caf::actor_system_config>();
  // The sharing policy wakes an idle worker at once; work stealing's relaxed phase sleeps
  // up to 10 ms between polls, and its polling competes with the I/O thread for the cores:
  // bench/http-front measured 78k req/s with sharing against 65k with stealing (1 + 1 threads).
  i.actor_config->set("scheduler.policy", caf::atom("sharing"));
  i.actor_config->set("scheduler.max-threads", static_cast<std::size_t>(i.settings.host.actor_threads));
  i.system = std::make_unique<caf::actor_system>(*i.actor_config);
  i.front = std::make_unique<front_dispatcher>(*i.system, i.router, i.settings.host.actor_threads);
  i.server = std::make_unique<http::server>(server_options_from(i.settings.host), *i.front, i.metrics.get());
  auto started = i.server->start();
  if (!started) {
    i.server.reset();
    i.front.reset();
    i.system.reset();
  }
  return started;
}

void host::stop() {
  if (impl_->server) impl_->server->stop();
}

void host::wait() {
  auto& i = *impl_;
  if (!i.server) return;
  i.server->wait();
  // The front actors may still hold exchanges; they are released while the server's
  // I/O contexts still exist, and only then is the server torn down.
  i.front.reset();
  i.system.reset();
  i.server.reset();
}

} // namespace onbehalf::actors
