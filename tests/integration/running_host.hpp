// A real onbehalf host (actor system, front actors, Beast server) on a free loopback port.
#pragma once

#include "../support/started_host.hpp"

#include "onbehalf/actors/host.hpp"

#include <catch2/catch.hpp>

#include <functional>

namespace onbehalf::testing {

/// Settings with small limits and short timeouts, so limit and timeout tests run quickly.
inline config::app_settings test_settings() {
  config::app_settings s;
  s.azure_ad.client_id = "test-client";
  s.azure_ad.authority = "https://authority.invalid/";
  s.host.port = 0;
  s.host.io_threads = 2;
  s.host.actor_threads = 2;
  s.host.log_level = "warning";
  s.host.limits.max_request_header_bytes = 4096;
  s.host.limits.max_request_body_bytes = 1024;
  s.host.limits.request_headers_timeout = std::chrono::seconds(1);
  s.host.limits.keep_alive_timeout = std::chrono::seconds(2);
  s.host.limits.shutdown_timeout = std::chrono::seconds(5);
  s.host.cache.backend = config::cache_options::backend_type::memory;
  return s;
}

class running_host {
public:
  explicit running_host(const std::function<void(http::router&)>& add_routes = {}, config::app_settings settings = test_settings())
      : host_(std::move(settings)) {
    if (add_routes) add_routes(host_.routes());
    // These tests are about HTTP serving, not sign-in: their routes are open to everyone.
    for (auto& r : host_.routes().routes()) r.anonymous = true;
    port_ = require_started(host_);
  }
  ~running_host() {
    host_.stop();
    host_.wait();
  }

  std::uint16_t port() const noexcept { return port_; }
  actors::host& host() noexcept { return host_; }

private:
  actors::host host_;
  std::uint16_t port_ = 0;
};

} // namespace onbehalf::testing
