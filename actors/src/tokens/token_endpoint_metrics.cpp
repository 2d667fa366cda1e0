#include "onbehalf/actors/token_endpoint_metrics.hpp"

namespace onbehalf::actors {

void token_endpoint_metrics::record(std::string_view grant, std::string_view outcome, std::chrono::nanoseconds elapsed) {
  std::lock_guard lock(mutex_);
  ++counts_[{std::string(grant), std::string(outcome)}];
  auto& histogram = latency_[std::string(grant)];
  if (!histogram) histogram = std::make_unique<http::latency_histogram>();
  histogram->record(elapsed);
}

std::uint64_t token_endpoint_metrics::count(std::string_view grant, std::string_view outcome) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(std::pair{std::string(grant), std::string(outcome)});
  return it == counts_.end() ? 0 : it->second;
}

std::string token_endpoint_metrics::render() const {
  std::lock_guard lock(mutex_);
  if (counts_.empty()) return {};
  std::string out = "# HELP onbehalf_token_requests_total Requests to the authority's token endpoint (and the managed-identity endpoint), "
                    "by grant and outcome.\n# TYPE onbehalf_token_requests_total counter\n";
  for (const auto& [key, n] : counts_)
    out += "onbehalf_token_requests_total{grant=\"" + http::prometheus_label(key.first) + "\",outcome=\"" + http::prometheus_label(key.second) +
           "\"} " + std::to_string(n) + "\n";
  out += "# HELP onbehalf_token_request_duration_seconds Time the authority took to answer, by grant.\n"
         "# TYPE onbehalf_token_request_duration_seconds histogram\n";
  for (const auto& [grant, histogram] : latency_)
    histogram->render(out, "onbehalf_token_request_duration_seconds", "grant=\"" + http::prometheus_label(grant) + "\"");
  return out;
}

} // namespace onbehalf::actors
