#include "onbehalf/http/metrics.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::http;
using namespace std::chrono_literals;

namespace {
void add_two_routes(router& r) {
  r.get("/healthz", [](const exchange_ptr&) {});
  r.post("/todos/{id}", [](const exchange_ptr&) {});
}
} // namespace

TEST_CASE("requests are counted by route pattern, method and status") {
  router r;
  add_two_routes(r);
  request_metrics m(r);
  m.record(0, 200, 1ms);
  m.record(0, 200, 1ms);
  m.record(1, 404, 1ms);
  auto text = m.render();
  CHECK(text.find(R"(onbehalf_http_requests_total{method="GET",route="/healthz",status="200"} 2)") != std::string::npos);
  CHECK(text.find(R"(onbehalf_http_requests_total{method="POST",route="/todos/{id}",status="404"} 1)") != std::string::npos);
}

TEST_CASE("requests no route matched are counted under one unmatched series") {
  router r;
  add_two_routes(r);
  request_metrics m(r);
  m.record(r.unmatched_id(), 404, 1ms);
  m.record(12345, 400, 1ms);
  auto text = m.render();
  CHECK(text.find(R"(onbehalf_http_requests_total{method="any",route="unmatched",status="404"} 1)") != std::string::npos);
  CHECK(text.find(R"(onbehalf_http_requests_total{method="any",route="unmatched",status="400"} 1)") != std::string::npos);
}

TEST_CASE("latency lands in cumulative histogram buckets with sum and count") {
  router r;
  add_two_routes(r);
  request_metrics m(r);
  m.record(0, 200, 300us);
  m.record(0, 200, 20ms);
  auto text = m.render();
  CHECK(text.find(R"(onbehalf_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.0005"} 1)") != std::string::npos);
  CHECK(text.find(R"(onbehalf_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.01"} 1)") != std::string::npos);
  CHECK(text.find(R"(onbehalf_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.025"} 2)") != std::string::npos);
  CHECK(text.find(R"(onbehalf_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"} 2)") != std::string::npos);
  CHECK(text.find(R"(onbehalf_http_request_duration_seconds_count{method="GET",route="/healthz"} 2)") != std::string::npos);
  CHECK(text.find(R"(onbehalf_http_request_duration_seconds_sum{method="GET",route="/healthz"} 0.0203)") != std::string::npos);
}

TEST_CASE("the exposition declares each metric's type") {
  router r;
  add_two_routes(r);
  auto text = request_metrics(r).render();
  CHECK(text.find("# TYPE onbehalf_http_requests_total counter") != std::string::npos);
  CHECK(text.find("# TYPE onbehalf_http_request_duration_seconds histogram") != std::string::npos);
}
