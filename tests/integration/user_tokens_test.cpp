// The token actor for signed-in users, against the development authority: tokens from sign-in
// are served from the cache; expired ones are refreshed once however many callers wait; rotated
// refresh tokens are kept; consent and sign-in needs come back typed.
#include "../support/concurrent_callers.hpp"
#include "../support/devauthority_fixture.hpp"
#include "../support/ports.hpp"
#include "../support/redis_server.hpp"
#include "../support/test_actor_system.hpp"

#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/cache/rocksdb_store.hpp"
#include "onbehalf/cache/token_records.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::dev;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> todo_scopes = {todo_api + "/access_as_user"};

struct user_token_fixture {
  authority_fixture f;
  cache::memory_cache l1;
  testing::test_actor_system runtime;
  // Closed after the service and before L1: a closing store answers the writes still pending,
  // and those answers may reach L1.
  std::unique_ptr<cache::durable_store> store;
  std::unique_ptr<actors::token_service> tokens;
  std::string account;

  explicit user_token_fixture(devauthority::lifetimes lifetimes = {}, std::chrono::seconds refresh_margin = 300s,
                              std::unique_ptr<cache::durable_store> l2 = nullptr)
      : f(lifetimes), store(std::move(l2)) {
    actors::token_service_settings s;
    s.token_endpoint = f.metadata.token_endpoint;
    s.tenant = tenant_id;
    s.client = f.secret_post();
    s.web = f.web.get();
    s.cache = &l1;
    s.refresh_margin = refresh_margin;
    s.store = store.get();
    tokens = std::make_unique<actors::token_service>(*runtime.system, s);
  }
  ~user_token_fixture() {
    tokens.reset(); // before the actor system it runs in
  }

  /// Signs ada in through the authority's pages and hands the tokens to the token actor, as the sign-in callback will.
  identity::token_response sign_in_ada() {
    browser b(*f.web, f.authority.base_url());
    sign_in_options o;
    o.scopes = todo_scopes;
    auto t = signed_in_tokens(f, b, o);
    auto id = claims_of(t.id_token);
    account = *id.string("oid") + "." + *id.string("tid");
    tokens->accept_sign_in_tokens(account, todo_scopes, t);
    return t;
  }

  actors::token_service_outcome acquire(const std::string& for_account, const std::vector<std::string>& scopes,
                                        actors::token_acquisition_options options = {}) {
    std::promise<actors::token_service_outcome> done;
    auto future = done.get_future();
    tokens->acquire_token_for_user(for_account, scopes, std::move(options),
                                   [&done](actors::token_service_outcome o) { done.set_value(std::move(o)); });
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    return future.get();
  }
};

} // namespace

TEST_CASE("user tokens: the access token from sign-in is served from the cache") {
  user_token_fixture u;
  auto signed_in = u.sign_in_ada();
  auto token = u.acquire(u.account, todo_scopes);
  REQUIRE(token);
  CHECK(token->access_token.reveal() == signed_in.access_token.reveal());
  CHECK(u.f.authority.token_requests("refresh_token") == 0);
}

TEST_CASE("user tokens: an expired token is refreshed once for many waiting callers, and the rotated refresh token is kept") {
  // Two-second tokens and no early refresh, so only expiry causes grants.
  user_token_fixture u({2s, 3600s, 300s}, 0s);
  auto signed_in = u.sign_in_ada();
  std::this_thread::sleep_for(2200ms); // the access token has expired
  auto before_refresh = std::chrono::system_clock::now();
  constexpr int callers = 200;
  auto answers = testing::ask_concurrently(callers, [&](auto done) { u.tokens->acquire_token_for_user(u.account, todo_scopes, std::move(done)); });
  CHECK(answers.succeeded == callers);
  CHECK(answers.tokens.size() == 1);
  const auto refreshed = *answers.tokens.begin();
  CHECK(refreshed != signed_in.access_token.reveal());
  CHECK(u.f.authority.token_requests("refresh_token") == 1);

  // The refreshed token is cached under the scopes it was asked for.
  auto records = cache::access_token_records::decode(*u.l1.get(cache::keys::access_tokens(cache::keys::user_partition(u.account), todo_api)));
  REQUIRE(records);
  REQUIRE(records->best_for(todo_scopes, before_refresh));
  CHECK(records->best_for(todo_scopes, before_refresh)->token == refreshed);

  // The next grant uses the rotated refresh token: reusing the replaced one would have revoked
  // the sign-in, and this refresh would fail.
  std::this_thread::sleep_for(2200ms);
  auto again = u.acquire(u.account, todo_scopes);
  INFO((again ? std::string() : again.error().message()));
  REQUIRE(again);
  CHECK(u.f.authority.token_requests("refresh_token") == 2);
}

TEST_CASE("user tokens: a scope the user never consented to comes back as consent required") {
  user_token_fixture u;
  u.sign_in_ada();
  auto mail = u.acquire(u.account, {"mail.read"});
  REQUIRE_FALSE(mail);
  CHECK(mail.error().kind == identity::failure_kind::interaction_required);
  CHECK(mail.error().reason == identity::interaction_reason::consent_required);
}

TEST_CASE("user tokens: an account with no refresh token kept must sign in") {
  user_token_fixture u;
  auto outcome = u.acquire("nobody.tenant", todo_scopes);
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().kind == identity::failure_kind::interaction_required);
  CHECK(outcome.error().reason == identity::interaction_reason::login_required);
}

TEST_CASE("user tokens: a claims challenge skips the cached token and redeems the refresh token with the claims") {
  user_token_fixture u;
  auto signed_in = u.sign_in_ada();
  actors::token_acquisition_options o;
  o.claims = R"({"access_token":{"nbf":{"essential":true,"value":"1700000000"}}})";
  auto fresh = u.acquire(u.account, todo_scopes, o);
  REQUIRE(fresh);
  CHECK(fresh->access_token.reveal() != signed_in.access_token.reveal());
  CHECK(u.f.authority.token_requests("refresh_token") == 1);
  CHECK(u.f.authority.recent_token_requests().back().claims == o.claims);
}

TEST_CASE("user tokens: ForceRefresh redeems the refresh token even with a valid token cached") {
  user_token_fixture u;
  auto signed_in = u.sign_in_ada();
  actors::token_acquisition_options o;
  o.force_refresh = true;
  auto fresh = u.acquire(u.account, todo_scopes, o);
  REQUIRE(fresh);
  CHECK(fresh->access_token.reveal() != signed_in.access_token.reveal());
  CHECK(u.acquire(u.account, todo_scopes)->access_token.reveal() == fresh->access_token.reveal());
  CHECK(u.f.authority.token_requests("refresh_token") == 1);
}

namespace {

key_ring store_keys() { return *key_ring::make({{"k1", secret(std::string(32, 's'))}}); }

std::string refresh_key_of(const std::string& account) { return cache::keys::refresh_token(cache::keys::user_partition(account)); }

// The account's refresh token as L2 holds it.
std::optional<std::string> refresh_token_in_l2(cache::durable_store& store, const std::string& account) {
  std::promise<std::optional<std::string>> out;
  store.get(cache::keys::user_partition(account), refresh_key_of(account),
            [&](result<std::optional<std::string>, std::string> r) { out.set_value(r ? *r : std::nullopt); });
  return out.get_future().get();
}

} // namespace

TEST_CASE("user tokens: with an L2, refresh tokens are kept there and not in memory, and refreshes read them from there") {
  testing::temp_dir dir;
  user_token_fixture u({2s, 3600s, 300s}, 0s, cache::run_in_background(cache::rocksdb_store::open(dir.path("cache"), store_keys()).value()));
  auto signed_in = u.sign_in_ada();
  CHECK_FALSE(u.l1.get(refresh_key_of(u.account)));
  CHECK(refresh_token_in_l2(*u.store, u.account) == signed_in.refresh_token.reveal());
  std::this_thread::sleep_for(2200ms);
  auto refreshed = u.acquire(u.account, todo_scopes);
  INFO((refreshed ? std::string() : refreshed.error().message()));
  REQUIRE(refreshed);
  CHECK(u.f.authority.token_requests("refresh_token") == 1);
  CHECK_FALSE(u.l1.get(refresh_key_of(u.account)));
  CHECK(refresh_token_in_l2(*u.store, u.account) != signed_in.refresh_token.reveal()); // the rotated one replaced it
}

TEST_CASE("user tokens: a refresh token that Redis could not take is kept in memory, so the outage signs nobody out") {
  cache::redis_options unreachable;
  testing::closed_port closed;
  unreachable.connection.endpoints = {{"127.0.0.1", closed.number()}}; // nothing listens there
  unreachable.connection.command_timeout = 100ms;
  user_token_fixture u({2s, 3600s, 300s}, 0s, cache::redis_store::open(unreachable, store_keys()).value());
  u.sign_in_ada();
  for (int i = 0; i < 100 && !u.l1.get(refresh_key_of(u.account)); ++i) std::this_thread::sleep_for(20ms);
  CHECK(u.l1.get(refresh_key_of(u.account)));
  std::this_thread::sleep_for(2200ms);
  auto refreshed = u.acquire(u.account, todo_scopes);
  INFO((refreshed ? std::string() : refreshed.error().message()));
  CHECK(refreshed);
}

TEST_CASE("user tokens: while Redis cannot be read, an expired token fails as unavailable, not as sign-in — back, it is refreshed once") {
  testing::redis_server redis;
  cache::redis_options o;
  o.connection.endpoints = {{"127.0.0.1", redis.port()}};
  o.connection.command_timeout = 200ms;
  user_token_fixture u({2s, 3600s, 300s}, 0s, cache::redis_store::open(o, store_keys()).value());
  auto signed_in = u.sign_in_ada();
  for (int i = 0; i < 100 && refresh_token_in_l2(*u.store, u.account) != signed_in.refresh_token.reveal(); ++i) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(2200ms); // the access token from sign-in has expired

  redis.pause();
  auto during = u.acquire(u.account, todo_scopes);
  redis.resume();
  REQUIRE_FALSE(during);
  INFO(during.error().message());
  CHECK(during.error().kind == identity::failure_kind::service_error);
  CHECK_THAT(during.error().message(), Catch::Matchers::Contains("token cache could not be read"));
  CHECK(u.f.authority.token_requests("refresh_token") == 0);

  actors::token_service_outcome after = failure{identity::token_failure{}};
  for (int i = 0; i < 50 && !after; ++i) { // until the client's reconnect backoff has passed
    after = u.acquire(u.account, todo_scopes);
    if (!after) std::this_thread::sleep_for(100ms);
  }
  INFO((after ? std::string() : after.error().message()));
  CHECK(after);
  CHECK(u.f.authority.token_requests("refresh_token") == 1);
}
