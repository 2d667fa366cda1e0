// Talking to an authority over HTTP: documents for the authority cache, token requests, and the
// failures a real network adds (nobody listening, no answer in time, throttling).
#include "../support/daemon_directory.hpp"
#include "../support/ports.hpp"
#include "../support/sync_client.hpp"
#include "../support/token_client.hpp"

#include "onbehalf/devauthority/dev_authority.hpp"

using namespace onbehalf;
using namespace onbehalf::identity;
using namespace std::chrono_literals;

namespace {

struct running_authority {
  devauthority::dev_authority authority{testing::daemon_directory()};
  std::unique_ptr<http::client> web = testing::make_client();
  running_authority() { REQUIRE(authority.start()); }

  token_http_request app_token_request(std::string token_endpoint = {}) {
    if (token_endpoint.empty()) token_endpoint = authority.base_url() + "/tenant-1/oauth2/v2.0/token";
    return build_token_request(token_endpoint, {client_authentication::method::client_secret_post, "daemon", secret("daemon-secret-1"), nullptr},
                               token_grant::client_credentials({"api://orders/.default"}));
  }
};

result<authority_cache::snapshot_ptr, std::string> snapshot_of(authority_cache& cache) {
  std::promise<result<authority_cache::snapshot_ptr, std::string>> done;
  auto future = done.get_future();
  cache.get([&done](auto outcome) { done.set_value(std::move(outcome)); });
  REQUIRE(future.wait_for(10s) == std::future_status::ready);
  return future.get();
}

} // namespace

TEST_CASE("the authority cache fetches discovery and keys over HTTP") {
  running_authority a;
  authority_cache cache(a.authority.authority("tenant-1"), actors::fetch_over(*a.web));
  auto snapshot = snapshot_of(cache);
  INFO((snapshot ? std::string() : snapshot.error()));
  REQUIRE(snapshot);
  CHECK((*snapshot)->keys.keys().size() == 1);
}

TEST_CASE("a document that is not there is an error naming the status and the address") {
  running_authority a;
  authority_cache cache(a.authority.authority("no-such-tenant"), actors::fetch_over(*a.web));
  auto snapshot = snapshot_of(cache);
  REQUIRE_FALSE(snapshot);
  CHECK(snapshot.error().find("HTTP 400 from " + a.authority.authority("no-such-tenant")) != std::string::npos);
}

TEST_CASE("a token request over HTTP yields the app token") {
  running_authority a;
  auto tokens = testing::redeem(*a.web, a.app_token_request());
  INFO((tokens ? std::string() : tokens.error().message()));
  REQUIRE(tokens);
  CHECK(parse_jwt(tokens->access_token.reveal())->claims.strings("roles") == std::vector<std::string>{"Orders.Read.All"});
}

TEST_CASE("an authority nobody answers for is a network error") {
  running_authority a;
  testing::closed_port closed;
  auto outcome = testing::redeem(*a.web, a.app_token_request("http://127.0.0.1:" + std::to_string(closed.number()) + "/t/oauth2/v2.0/token"));
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == failure_kind::network_error);
  CHECK(outcome.error().message().find("could not be reached") != std::string::npos);
}

TEST_CASE("an authority that does not answer in time is a service error") {
  running_authority a;
  a.authority.set_faults({devauthority::faults::mode::none, 3s});
  http::client_options quick;
  quick.response_timeout = 300ms;
  auto impatient = testing::make_client(quick);
  auto outcome = testing::redeem(*impatient, a.app_token_request());
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == failure_kind::service_error);
}

TEST_CASE("a throttling authority's Retry-After reaches the failure") {
  running_authority a;
  a.authority.set_faults({devauthority::faults::mode::throttled, 0ms, 42s});
  auto outcome = testing::redeem(*a.web, a.app_token_request());
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().retry_after == 42s);
}
