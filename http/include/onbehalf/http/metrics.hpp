// Request counts by route and status, and a latency histogram per route, in Prometheus text format.
// Recording is lock-free (relaxed atomics): it sits on every request's path.
#pragma once

#include "onbehalf/http/router.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::http {

/// A Prometheus label value, escaped.
std::string prometheus_label(std::string_view value);

/// Latencies in buckets, lock-free to record (relaxed atomics).
class latency_histogram {
public:
  /// Bucket upper bounds, in seconds.
  static constexpr std::array<double, 12> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

  void record(std::chrono::nanoseconds elapsed) noexcept;
  /// Appends `name`_bucket, _sum and _count lines, each with `labels` (`a="b",c="d"`).
  void render(std::string& out, std::string_view name, const std::string& labels) const;

private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{}; // the last one is +Inf
  std::atomic<std::uint64_t> total_nanoseconds_{0};
};

class request_metrics {
public:
  /// One series per route of `r` plus one for requests no route matched. Routes added later are not counted.
  explicit request_metrics(const router& r);

  void record(std::size_t route_id, unsigned status, std::chrono::nanoseconds elapsed) noexcept;

  /// The Prometheus text exposition (version 0.0.4).
  std::string render() const;

private:
  struct series {
    std::string method;
    std::string route;
    std::array<std::atomic<std::uint64_t>, 600> by_status{};
    latency_histogram latency;
  };
  std::vector<std::unique_ptr<series>> series_;
};

} // namespace onbehalf::http
