// Per-call token options (MIW's TokenAcquisitionOptions) as the authority sees them, and the
// token actors: one per tenant and resource.
#include "../support/app_token_fixture.hpp"
#include "../support/captured_log.hpp"
#include "../support/concurrent_callers.hpp"
#include "../support/devauthority_fixture.hpp"

using namespace onbehalf;
using namespace std::chrono_literals;

using testing::app_tokens::fixture;
using testing::app_tokens::scope;

namespace {

devauthority::token_request_record last_request(const fixture& f) {
  auto recent = f.authority.recent_token_requests();
  REQUIRE_FALSE(recent.empty());
  return recent.back();
}

} // namespace

TEST_CASE("token options: ForceRefresh skips the cached token, and the new token replaces it") {
  fixture f;
  auto cached = f.acquire();
  REQUIRE(cached);
  actors::token_acquisition_options force;
  force.force_refresh = true;
  auto forced = f.acquire(force);
  REQUIRE(forced);
  CHECK(forced->access_token.reveal() != cached->access_token.reveal());
  CHECK(f.authority.token_requests("client_credentials") == 2);
  auto after = f.acquire();
  REQUIRE(after);
  CHECK(after->access_token.reveal() == forced->access_token.reveal());
  CHECK(f.authority.token_requests("client_credentials") == 2);
}

TEST_CASE("token options: concurrent ForceRefresh calls still share one grant") {
  fixture f;
  // The authority takes its time, so that every call is made while the grant is in flight, however
  // slowly the calls go out (a sanitizer build is slow to make 200).
  f.authority.set_faults({devauthority::faults::mode::none, 2s});
  actors::token_acquisition_options force;
  force.force_refresh = true;
  auto answers = testing::ask_concurrently(200, [&](auto done) { f.tokens->acquire_token_for_app(scope, force, std::move(done)); });
  CHECK(answers.succeeded == 200);
  CHECK(answers.tokens.size() == 1);
  CHECK(f.authority.token_requests("client_credentials") == 1);
}

TEST_CASE("token options: a claims challenge skips the cache and is sent with the grant") {
  fixture f;
  REQUIRE(f.acquire());
  actors::token_acquisition_options o;
  o.claims = R"({"access_token":{"xms_cc":{"values":["cp1"]}}})";
  REQUIRE(f.acquire(o));
  CHECK(f.authority.token_requests("client_credentials") == 2);
  CHECK(last_request(f).claims == o.claims);
}

TEST_CASE("token options: the correlation id reaches the authority and the log") {
  fixture f;
  testing::captured_log log;
  actors::token_acquisition_options o;
  o.correlation_id = "5c1f0e2a-8d41-4c1b-9f4e-2a7b3c9d0e11";
  REQUIRE(f.acquire(o));
  CHECK(last_request(f).client_request_id == o.correlation_id);
  f.authority.set_faults({devauthority::faults::mode::server_error, 0ms, 0s});
  o.force_refresh = true;
  REQUIRE_FALSE(f.acquire(o));
  CHECK(log.all().find("cid=" + o.correlation_id) != std::string::npos);
}

TEST_CASE("token options: extra query parameters are added to the token request") {
  fixture f;
  actors::token_acquisition_options o;
  o.extra_query_parameters = {{"slice", "testslice"}, {"dc", "ESTS-PUB-WEULR1-AZ1"}};
  REQUIRE(f.acquire(o));
  auto query = last_request(f).query;
  CHECK(query.find("slice=testslice") != std::string::npos);
  CHECK(query.find("dc=ESTS-PUB-WEULR1-AZ1") != std::string::npos);
}

TEST_CASE("token options: another tenant's app token comes from that tenant and is cached apart") {
  fixture f;
  auto home = f.acquire();
  REQUIRE(home);
  actors::token_acquisition_options o;
  o.tenant = "tenant-2";
  auto customer = f.acquire(o);
  REQUIRE(customer);
  CHECK(last_request(f).tenant == "tenant-2");
  CHECK(*testing::dev::claims_of(customer->access_token.reveal()).string("tid") == "tenant-2");
  CHECK(*testing::dev::claims_of(home->access_token.reveal()).string("tid") == "tenant-1");
  // Both stay cached, each for its own tenant.
  CHECK(f.acquire()->access_token.reveal() == home->access_token.reveal());
  CHECK(f.acquire(o)->access_token.reveal() == customer->access_token.reveal());
  CHECK(f.authority.token_requests("client_credentials") == 2);
}

TEST_CASE("token actors: each resource has its own actor and its own single flight") {
  fixture f;
  auto orders = testing::ask_concurrently(100, [&](auto done) { f.tokens->acquire_token_for_app(scope, std::move(done)); });
  auto inventory = testing::ask_concurrently(100, [&](auto done) { f.tokens->acquire_token_for_app("api://inventory/.default", std::move(done)); });
  CHECK(orders.succeeded == 100);
  CHECK(inventory.succeeded == 100);
  CHECK(f.authority.token_requests("client_credentials") == 2);
  CHECK(f.tokens->live_actors() == 2);
}

TEST_CASE("token actors: a cached token is answered on the caller's thread, without a message") {
  fixture f;
  REQUIRE(f.acquire());
  auto caller = std::this_thread::get_id();
  std::thread::id answered_on;
  f.tokens->acquire_token_for_app(scope, [&](actors::token_service_outcome o) {
    REQUIRE(o);
    answered_on = std::this_thread::get_id();
  });
  CHECK(answered_on == caller);
}
