// A downstream API that is briefly down, throttling or unreachable: idempotent calls are sent
// again within the call's deadline and what the API allows; everything else goes back to the
// caller at once, with the API's own Retry-After.
#include "../support/downstream_fixture.hpp"
#include "../support/eventually.hpp"
#include "../support/ports.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::downstream;
using actors::downstream_call_options;
using mode = sample_api::faults::mode;

namespace {

sample_api::faults fault(mode kind, std::chrono::seconds retry_after, std::size_t times) {
  sample_api::faults f;
  f.kind = kind;
  f.retry_after = retry_after;
  f.times = times;
  return f;
}

std::size_t retries_of(fixture& x, const std::string& api) {
  for (const auto& a : x.apis().statistics().apis)
    if (a.api == api) return a.retries;
  return 0;
}

auto list_todos = [](downstream_call_options& o) { o.relative_path = "api/todos"; };

} // namespace

TEST_CASE("downstream resilience: a GET to an API that is briefly unavailable is sent again after its Retry-After, and succeeds") {
  fixture x;
  x.api.set_faults(fault(mode::unavailable, 0s, 1));
  auto todos = run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", list_todos));
  INFO((todos ? std::string() : todos.error().message()));
  CHECK(todos);
  CHECK(x.api.stats().requests == 2);
  CHECK(retries_of(x, "TodoApp") == 1);
}

TEST_CASE(
    "downstream resilience: a throttling API that asks for longer than MaxRetryDelaySeconds is not retried, and its Retry-After reaches the caller") {
  fixture x;
  x.api.set_faults(fault(mode::throttled, 30s, 0));
  auto todos = run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", list_todos));
  REQUIRE_FALSE(todos);
  auto* refused = todos.error().as<actors::downstream_error>();
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(refused->headers.find("Retry-After") == std::optional<std::string_view>("30"));
  CHECK(x.api.stats().requests == 1);
}

TEST_CASE("downstream resilience: a POST is never sent twice: the API may have done its work") {
  fixture x;
  x.api.set_faults(fault(mode::unavailable, 0s, 1));
  auto created =
      run(x.apis().post_for_app<sample_api::todo_change, sample_api::todo>("TodoApp", sample_api::todo_change{"write the docs", false}, list_todos));
  REQUIRE_FALSE(created);
  CHECK(created.error().as<actors::downstream_error>());
  CHECK(x.api.stats().requests == 1);
}

TEST_CASE("downstream resilience: an unreachable API is tried MaxRetries more times, then reported as unreachable") {
  closed_port nobody;
  fixture x([&](config::app_settings& s) {
    s.downstream_apis[1].base_url = "http://127.0.0.1:" + std::to_string(nobody.number());
    s.downstream_apis[1].max_retries = 2;
  });
  auto todos = run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", list_todos));
  REQUIRE_FALSE(todos);
  CHECK(todos.error().as<actors::downstream_unreachable>());
  CHECK(retries_of(x, "TodoApp") == 2);
}

TEST_CASE("downstream resilience: TimeoutSeconds bounds the whole call: an API that does not answer is given up on") {
  fixture x([](config::app_settings& s) { s.downstream_apis[1].timeout = std::chrono::seconds(1); });
  x.api.set_faults(fault(mode::never_answer, 0s, 0));
  auto todos = run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", list_todos));
  REQUIRE_FALSE(todos);
  auto* unreachable = todos.error().as<actors::downstream_unreachable>();
  REQUIRE(unreachable);
  CHECK(unreachable->cause == http::client_error::timeout);
  x.api.set_faults({}); // lets the held request go before the API stops
}

TEST_CASE("downstream resilience: a call whose caller no longer wants the answer stops: its connection is closed and the API sees it go") {
  fixture x;
  x.api.set_faults(fault(mode::never_answer, 0s, 0));
  auto stop = std::make_shared<cancellation>();
  auto call = std::async(std::launch::async, [&] {
    return run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", [&](downstream_call_options& o) {
      o.relative_path = "api/todos";
      o.cancel_with = stop;
    }));
  });
  REQUIRE(eventually([&] { return x.api.stats().requests == 1; }));
  stop->cancel();
  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  auto todos = call.get();
  REQUIRE_FALSE(todos);
  auto* unreachable = todos.error().as<actors::downstream_unreachable>();
  REQUIRE(unreachable);
  CHECK(unreachable->cause == http::client_error::cancelled);
  CHECK(eventually([&] { return x.api.stats().abandoned == 1; }));
  x.api.set_faults({});
}

TEST_CASE("downstream resilience: a call cancelled before it is sent is not sent at all") {
  fixture x;
  auto stop = std::make_shared<cancellation>();
  stop->cancel();
  auto todos = run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", [&](downstream_call_options& o) {
    o.relative_path = "api/todos";
    o.cancel_with = stop;
  }));
  REQUIRE_FALSE(todos);
  CHECK(todos.error().as<actors::downstream_unreachable>());
  CHECK(x.api.stats().requests == 0);
}
