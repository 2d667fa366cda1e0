// What onbehalf asked of the authority (and of the managed-identity endpoint): requests by grant
// and outcome, and how long they took, for /metrics.
#pragma once

#include "onbehalf/http/metrics.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace onbehalf::actors {

class token_endpoint_metrics {
public:
  /// `grant`: authorization_code, refresh_token, client_credentials, on_behalf_of, token_exchange
  /// or managed_identity; `outcome`: success, or a failure kind (service_error, network_error…).
  void record(std::string_view grant, std::string_view outcome, std::chrono::nanoseconds elapsed);
  std::uint64_t count(std::string_view grant, std::string_view outcome) const;
  /// onbehalf_token_requests_total{grant,outcome} and onbehalf_token_request_duration_seconds{grant}.
  std::string render() const;

private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t, std::less<>> counts_;
  std::map<std::string, std::unique_ptr<http::latency_histogram>, std::less<>> latency_;
};

} // namespace onbehalf::actors
