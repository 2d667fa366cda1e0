#include "onbehalf/http/metrics.hpp"

#include <cstdio>

namespace onbehalf::http {

namespace {

std::string label_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

} // namespace

request_metrics::request_metrics(const router& r) {
  for (const auto& route : r.routes()) {
    auto s = std::make_unique<series>();
    s->method = route.method;
    s->route = route.pattern;
    series_.push_back(std::move(s));
  }
  auto unmatched = std::make_unique<series>();
  unmatched->method = "any";
  unmatched->route = "unmatched";
  series_.push_back(std::move(unmatched));
}

void request_metrics::record(std::size_t route_id, unsigned status, std::chrono::nanoseconds elapsed) noexcept {
  auto& s = *series_[route_id < series_.size() ? route_id : series_.size() - 1];
  s.by_status[status < 600 ? status : 0].fetch_add(1, std::memory_order_relaxed);
  double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = 0;
  while (bucket < bucket_bounds.size() && seconds > bucket_bounds[bucket]) ++bucket;
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.total_nanoseconds.fetch_add(static_cast<std::uint64_t>(elapsed.count()), std::memory_order_relaxed);
}

std::string request_metrics::render() const {
  std::string out;
  out += "# HELP onbehalf_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE onbehalf_http_requests_total counter\n";
  for (const auto& s : series_) {
    auto labels = "method=\"" + label_value(s->method) + "\",route=\"" + label_value(s->route) + "\"";
    for (unsigned status = 0; status < s->by_status.size(); ++status) {
      auto n = s->by_status[status].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "onbehalf_http_requests_total{" + labels + ",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP onbehalf_http_request_duration_seconds Time from a request's arrival to its response.\n";
  out += "# TYPE onbehalf_http_request_duration_seconds histogram\n";
  for (const auto& s : series_) {
    auto labels = "method=\"" + label_value(s->method) + "\",route=\"" + label_value(s->route) + "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < s->buckets.size(); ++b) {
      cumulative += s->buckets[b].load(std::memory_order_relaxed);
      auto le = b < bucket_bounds.size() ? number(bucket_bounds[b]) : std::string("+Inf");
      out += "onbehalf_http_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "onbehalf_http_request_duration_seconds_sum{" + labels + "} " +
           number(static_cast<double>(s->total_nanoseconds.load(std::memory_order_relaxed)) / 1e9) + "\n";
    out += "onbehalf_http_request_duration_seconds_count{" + labels + "} " + std::to_string(cumulative) + "\n";
  }
  return out;
}

} // namespace onbehalf::http
