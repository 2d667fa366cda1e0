#include "downstream/resilient_send.hpp"

#include "onbehalf/identity/token_response.hpp"

#include <algorithm>
#include <random>

namespace onbehalf::actors::detail {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" || method == "DELETE";
}

// Failures a second attempt may not meet: nothing reached the API, or it said "not now". A
// connection cut after the request went out is not among them: the client already sends again
// once when a pooled connection turns out stale, and beyond that the API was reached.
bool worth_retrying(const http::client_result& reply) {
  if (!reply) {
    auto e = reply.error().error;
    return e == http::client_error::resolve_failed || e == http::client_error::connect_failed;
  }
  return reply->status == 429 || reply->status == 502 || reply->status == 503 || reply->status == 504;
}

double jitter_now() {
  thread_local std::minstd_rand generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

} // namespace

std::optional<milliseconds> retry_delay(const http::client_result& reply, std::string_view method, unsigned attempt, const send_policy& policy,
                                        std::optional<milliseconds> remaining, double jitter) {
  if (!idempotent(method) || attempt >= policy.max_retries || !worth_retrying(reply)) return std::nullopt;
  milliseconds delay;
  auto asked = reply ? identity::parse_retry_after(reply->headers.find("Retry-After").value_or("")) : std::nullopt;
  if (asked) {
    delay = std::chrono::duration_cast<milliseconds>(*asked);
    if (delay > policy.max_retry_delay) return std::nullopt; // the caller hears when to come back
  } else {
    auto doubling = milliseconds(100) * (1u << std::min(attempt, 10u));
    auto capped = std::min(doubling, policy.max_retry_delay);
    delay = milliseconds(static_cast<milliseconds::rep>(static_cast<double>(capped.count()) * (0.5 + 0.5 * std::clamp(jitter, 0.0, 1.0))));
  }
  if (remaining && delay >= *remaining) return std::nullopt;
  return delay;
}

task<sent> send_with_retries(http::client& web, http::client_request request, send_policy policy) {
  std::optional<steady::time_point> deadline;
  if (policy.timeout) deadline = steady::now() + *policy.timeout;
  auto remaining = [&]() -> std::optional<milliseconds> {
    if (!deadline) return std::nullopt;
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(*deadline - steady::now()));
  };
  // Held once, shared by the attempts: a request carries a token of a kilobyte or more.
  auto held = std::make_shared<const http::client_request>(std::move(request));
  for (unsigned attempt = 0;; ++attempt) {
    if (held->cancel_with && held->cancel_with->requested())
      co_return sent{failure{http::client_failure{http::client_error::cancelled, "the caller no longer wants the answer"}}, attempt};
    auto left = remaining();
    if (left && left->count() == 0)
      co_return sent{failure{http::client_failure{http::client_error::timeout, "no answer within the call's deadline (TimeoutSeconds)"}}, attempt};
    auto reply =
        co_await when_called_back<http::client_result>([&](std::function<void(http::client_result)> done) { web.send(held, std::move(done), left); });
    auto wait = retry_delay(reply, held->method, attempt, policy, remaining(), jitter_now());
    if (!wait) co_return sent{std::move(reply), attempt};
    co_await when_called_back<bool>([&](std::function<void(bool)> done) { web.after(*wait, [done = std::move(done)] { done(true); }); });
  }
}

} // namespace onbehalf::actors::detail
