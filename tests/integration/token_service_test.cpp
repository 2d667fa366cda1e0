// The token actor for app tokens against the development authority over HTTP: single flight,
// caching, background refresh, and Retry-After.
#include "../support/app_token_fixture.hpp"
#include "../support/concurrent_callers.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

using namespace onbehalf;
using namespace std::chrono_literals;

using testing::app_tokens::fixture;
using testing::app_tokens::scope;

TEST_CASE("token actor: a thousand concurrent requests for a missing app token cause one grant") {
  fixture f;
  constexpr int callers = 1000;
  auto answers = testing::ask_concurrently(callers, [&](auto done) { f.tokens->acquire_token_for_app(scope, std::move(done)); });
  CHECK(answers.succeeded == callers);
  CHECK(answers.tokens.size() == 1);
  CHECK(f.authority.token_requests("client_credentials") == 1);
}

TEST_CASE("token actor: a cached app token is answered without asking the authority") {
  fixture f;
  auto first = f.acquire();
  REQUIRE(first);
  auto second = f.acquire();
  REQUIRE(second);
  CHECK(second->access_token.reveal() == first->access_token.reveal());
  CHECK(f.authority.token_requests("client_credentials") == 1);
}

TEST_CASE("token actor: a token near expiry is answered at once and refreshed in the background") {
  fixture f(600s, 900s); // every token is within the refresh margin
  auto first = f.acquire();
  REQUIRE(first);
  auto second = f.acquire(); // answered from the cache, and starts one refresh
  REQUIRE(second);
  CHECK(second->access_token.reveal() == first->access_token.reveal());
  for (int i = 0; i < 50 && f.authority.token_requests("client_credentials") < 2; ++i) std::this_thread::sleep_for(20ms);
  CHECK(f.authority.token_requests("client_credentials") == 2);
  for (int i = 0; i < 50; ++i) {
    auto now = f.acquire();
    REQUIRE(now);
    if (now->access_token.reveal() != first->access_token.reveal()) {
      SUCCEED("the refreshed token replaced the old one");
      return;
    }
    std::this_thread::sleep_for(20ms);
  }
  FAIL("the background refresh never replaced the cached token");
}

TEST_CASE("token actor: while the authority throttles, requests fail at once without calling it again") {
  fixture f;
  f.authority.set_faults({devauthority::faults::mode::throttled, 0ms, 60s});
  auto first = f.acquire();
  REQUIRE_FALSE(first);
  CHECK(first.error().kind == identity::failure_kind::service_error);
  CHECK(first.error().retry_after == 60s);
  f.authority.set_faults({}); // the authority would answer now: a call would succeed
  auto second = f.acquire();
  REQUIRE_FALSE(second); // so this failure proves the actor did not call it
  CHECK(second.error().retry_after > 50s);
  CHECK(f.authority.token_requests("client_credentials") == 0); // throttled answers are not counted as grants
}

TEST_CASE("token actor: a rejected client secret reaches every waiting caller as a configuration error") {
  fixture f;
  f.tokens.reset();
  actors::token_service_settings s;
  s.token_endpoint = f.authority.base_url() + "/tenant-1/oauth2/v2.0/token";
  s.tenant = "tenant-1";
  s.client = {identity::client_authentication::method::client_secret_post, "daemon", secret("wrong"), nullptr};
  s.web = f.web.get();
  s.cache = &f.l1;
  f.tokens = std::make_unique<actors::token_service>(*f.runtime.system, s);
  auto outcome = f.acquire();
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == identity::failure_kind::configuration_error);
  CHECK(outcome.error().config_key == "AzureAd:ClientCredentials");
}
