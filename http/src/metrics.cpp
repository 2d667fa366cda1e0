#include "onbehalf/http/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace onbehalf::http {

std::string prometheus_label(std::string_view v) {
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

namespace {

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

} // namespace

void latency_histogram::record(std::chrono::nanoseconds elapsed) noexcept {
  double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t bucket = 0;
  while (bucket < bounds.size() && seconds > bounds[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  total_nanoseconds_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed.count())), std::memory_order_relaxed);
}

void latency_histogram::render(std::string& out, std::string_view name, const std::string& labels) const {
  std::uint64_t cumulative = 0;
  auto prefix = std::string(name);
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    auto le = b < bounds.size() ? number(bounds[b]) : std::string("+Inf");
    out += prefix + "_bucket{" + labels + ",le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += prefix + "_sum{" + labels + "} " + number(static_cast<double>(total_nanoseconds_.load(std::memory_order_relaxed)) / 1e9) + "\n";
  out += prefix + "_count{" + labels + "} " + std::to_string(cumulative) + "\n";
}

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
  s.latency.record(elapsed);
}

std::string request_metrics::render() const {
  std::string out;
  out += "# HELP onbehalf_http_requests_total HTTP requests answered, by route and status.\n";
  out += "# TYPE onbehalf_http_requests_total counter\n";
  for (const auto& s : series_) {
    auto labels = "method=\"" + prometheus_label(s->method) + "\",route=\"" + prometheus_label(s->route) + "\"";
    for (unsigned status = 0; status < s->by_status.size(); ++status) {
      auto n = s->by_status[status].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "onbehalf_http_requests_total{" + labels + ",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
    }
  }
  out += "# HELP onbehalf_http_request_duration_seconds Time from a request's arrival to its response.\n";
  out += "# TYPE onbehalf_http_request_duration_seconds histogram\n";
  for (const auto& s : series_) {
    auto labels = "method=\"" + prometheus_label(s->method) + "\",route=\"" + prometheus_label(s->route) + "\"";
    s->latency.render(out, "onbehalf_http_request_duration_seconds", labels);
  }
  return out;
}

} // namespace onbehalf::http
