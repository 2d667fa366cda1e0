// When a downstream call is sent again: only idempotent methods, only for failures a second try
// can meet, never longer than the API or the deadline allows.
#include "downstream/resilient_send.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::actors::detail;
using namespace std::chrono_literals;

namespace {

http::client_result answered(unsigned status, std::string retry_after = {}) {
  http::client_response r;
  r.status = status;
  if (!retry_after.empty()) r.headers.set("Retry-After", retry_after);
  return r;
}

http::client_result failed(http::client_error e) { return failure{http::client_failure{e, "test"}}; }

const send_policy policy{std::nullopt, 2, 2000ms};

} // namespace

TEST_CASE("an API that asks to come back within the allowed delay is retried after what it asked") {
  CHECK(retry_delay(answered(503, "1"), "GET", 0, policy, std::nullopt, 0.5) == 1000ms);
  CHECK(retry_delay(answered(429, "0"), "PUT", 1, policy, std::nullopt, 0.5) == 0ms);
}

TEST_CASE("an API that asks for longer than MaxRetryDelaySeconds is not retried: the caller hears its Retry-After") {
  CHECK_FALSE(retry_delay(answered(503, "5"), "GET", 0, policy, std::nullopt, 0.5));
}

TEST_CASE("without Retry-After the wait doubles from 100 ms, jittered between half and all, and is capped") {
  CHECK(retry_delay(failed(http::client_error::connect_failed), "GET", 0, policy, std::nullopt, 1.0) == 100ms);
  CHECK(retry_delay(failed(http::client_error::connect_failed), "GET", 0, policy, std::nullopt, 0.0) == 50ms);
  CHECK(retry_delay(answered(502), "GET", 1, policy, std::nullopt, 1.0) == 200ms);
  send_policy many{std::nullopt, 10, 300ms};
  CHECK(retry_delay(answered(504), "GET", 5, many, std::nullopt, 1.0) == 300ms);
}

TEST_CASE("only idempotent methods are sent again: a POST or PATCH may have done its work") {
  CHECK_FALSE(retry_delay(answered(503, "1"), "POST", 0, policy, std::nullopt, 0.5));
  CHECK_FALSE(retry_delay(failed(http::client_error::connection_closed), "PATCH", 0, policy, std::nullopt, 0.5));
  CHECK(retry_delay(failed(http::client_error::connect_failed), "DELETE", 0, policy, std::nullopt, 0.5));
}

TEST_CASE("failures a retry cannot help are not retried, nor are spent retries") {
  CHECK_FALSE(retry_delay(answered(500), "GET", 0, policy, std::nullopt, 0.5));
  CHECK_FALSE(retry_delay(answered(404), "GET", 0, policy, std::nullopt, 0.5));
  CHECK_FALSE(retry_delay(failed(http::client_error::timeout), "GET", 0, policy, std::nullopt, 0.5));
  CHECK_FALSE(retry_delay(failed(http::client_error::tls_failed), "GET", 0, policy, std::nullopt, 0.5));
  CHECK_FALSE(retry_delay(failed(http::client_error::connection_closed), "GET", 0, policy, std::nullopt, 0.5)); // it was reached
  CHECK_FALSE(retry_delay(answered(503, "1"), "GET", 2, policy, std::nullopt, 0.5));
  CHECK_FALSE(retry_delay(answered(503, "1"), "GET", 0, send_policy{std::nullopt, 0, 2000ms}, std::nullopt, 0.5));
}

TEST_CASE("a retry that would not start before the call's deadline is not made") {
  CHECK_FALSE(retry_delay(answered(503, "1"), "GET", 0, policy, 900ms, 0.5));
  CHECK(retry_delay(answered(503, "1"), "GET", 0, policy, 1500ms, 0.5) == 1000ms);
}
