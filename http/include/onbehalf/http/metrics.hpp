// Request counts by route and status, and a latency histogram per route, in Prometheus text format.
// Recording is lock-free (relaxed atomics): it sits on every request's path.
#pragma once

#include "onbehalf/http/router.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace onbehalf::http {

class request_metrics {
public:
  /// One series per route of `r` plus one for requests no route matched. Routes added later are not counted.
  explicit request_metrics(const router& r);

  void record(std::size_t route_id, unsigned status, std::chrono::nanoseconds elapsed) noexcept;

  /// The Prometheus text exposition (version 0.0.4).
  std::string render() const;

  /// Latency bucket upper bounds, in seconds.
  static constexpr std::array<double, 12> bucket_bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

private:
  struct series {
    std::string method;
    std::string route;
    std::array<std::atomic<std::uint64_t>, 600> by_status{};
    std::array<std::atomic<std::uint64_t>, bucket_bounds.size() + 1> buckets{}; // last one is +Inf
    std::atomic<std::uint64_t> total_nanoseconds{0};
  };
  std::vector<std::unique_ptr<series>> series_;
};

} // namespace onbehalf::http
