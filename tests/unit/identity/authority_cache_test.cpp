#include "../../support/token_factory.hpp"

#include "onbehalf/identity/authority_cache.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <vector>

using namespace onbehalf;
using namespace onbehalf::identity;
using namespace std::chrono_literals;

namespace {

const std::string authority = "https://login.example.com/tenant-1/v2.0";
const std::string metadata_url = authority + "/.well-known/openid-configuration";
const std::string jwks_url = "https://login.example.com/tenant-1/discovery/v2.0/keys";
const std::string metadata_json = R"({"issuer":"https://login.example.com/tenant-1/v2.0",
  "authorization_endpoint":"https://login.example.com/tenant-1/oauth2/v2.0/authorize",
  "token_endpoint":"https://login.example.com/tenant-1/oauth2/v2.0/token",
  "jwks_uri":")" + jwks_url + "\"}";

// An authority whose documents the test controls, answering later (as a network would) when asked to.
struct scripted_authority {
  std::map<std::string, result<std::string, std::string>> documents{{metadata_url, metadata_json}};
  std::map<std::string, int> requests;
  bool hold = false;
  std::vector<std::function<void()>> held;
  std::chrono::steady_clock::time_point now{};

  scripted_authority() { set_keys(testing::token_factory(jws_algorithm::rs256, "key-1")); }

  void set_keys(const testing::token_factory& f) {
    documents.insert_or_assign(jwks_url, "{\"keys\":[" + f.key().public_part().to_jwk(f.keys().keys()[0].key_id()) + "]}");
  }

  fetch_function fetcher() {
    return [this](const std::string& url, std::function<void(result<std::string, std::string>)> done) {
      ++requests[url];
      auto it = documents.find(url);
      result<std::string, std::string> answer = it == documents.end() ? result<std::string, std::string>(failure{std::string("404")}) : it->second;
      if (hold) {
        held.push_back([done, answer] { done(answer); });
      } else {
        done(answer);
      }
    };
  }

  void release() {
    auto pending = std::move(held);
    held.clear();
    for (auto& p : pending) p();
  }

  authority_cache_options options() {
    authority_cache_options o;
    o.clock = [this] { return now; };
    return o;
  }
};

struct outcome_slot {
  std::optional<result<authority_cache::snapshot_ptr, std::string>> value;
  authority_cache::callback sink() {
    return [this](result<authority_cache::snapshot_ptr, std::string> r) { value.emplace(std::move(r)); };
  }
};

} // namespace

TEST_CASE("the first request fetches the metadata and the keys once") {
  scripted_authority a;
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot first, second;
  cache.get(first.sink());
  cache.get(second.sink());
  REQUIRE(first.value);
  REQUIRE(*first.value);
  CHECK((**first.value)->metadata.token_endpoint == "https://login.example.com/tenant-1/oauth2/v2.0/token");
  CHECK((**first.value)->keys.find("key-1"));
  CHECK(a.requests[metadata_url] == 1);
  CHECK(a.requests[jwks_url] == 1);
}

TEST_CASE("callers that arrive during a fetch share it") {
  scripted_authority a;
  a.hold = true;
  authority_cache cache(authority, a.fetcher(), a.options());
  std::vector<outcome_slot> callers(100);
  for (auto& c : callers) cache.get(c.sink());
  a.release(); // metadata arrives, keys are requested
  a.release(); // keys arrive
  for (auto& c : callers) {
    REQUIRE(c.value);
    CHECK(*c.value);
  }
  CHECK(cache.metadata_fetches() == 1);
  CHECK(cache.jwks_fetches() == 1);
}

TEST_CASE("metadata and keys are fetched again after the refresh interval") {
  scripted_authority a;
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot s;
  cache.get(s.sink());
  a.now += 23h;
  cache.get(s.sink());
  CHECK(a.requests[metadata_url] == 1);
  a.now += 2h;
  cache.get(s.sink());
  CHECK(a.requests[metadata_url] == 2);
}

TEST_CASE("an unknown key id refetches the keys and finds a rotated key") {
  scripted_authority a;
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot s;
  cache.get(s.sink());
  a.now += 10min;
  a.set_keys(testing::token_factory(jws_algorithm::rs256, "key-2"));
  cache.refresh_for_unknown_key(s.sink());
  REQUIRE(*s.value);
  CHECK((**s.value)->keys.find("key-2"));
  CHECK(a.requests[jwks_url] == 2);
  CHECK(a.requests[metadata_url] == 1);
}

TEST_CASE("a key rotated right after the first fetch is found at once: the cooldown spaces refetches, it does not delay the first") {
  scripted_authority a;
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot s;
  cache.get(s.sink());
  a.now += 1s;
  a.set_keys(testing::token_factory(jws_algorithm::rs256, "key-2"));
  cache.refresh_for_unknown_key(s.sink());
  REQUIRE(*s.value);
  CHECK((**s.value)->keys.find("key-2"));
  CHECK(a.requests[jwks_url] == 2);
}

TEST_CASE("a flood of tokens with unknown key ids causes at most one refetch per cooldown") {
  scripted_authority a;
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot s;
  cache.get(s.sink());
  a.now += 10min;
  for (int i = 0; i < 1000; ++i) cache.refresh_for_unknown_key(s.sink());
  CHECK(a.requests[jwks_url] == 2);
  a.now += 4min;
  cache.refresh_for_unknown_key(s.sink());
  CHECK(a.requests[jwks_url] == 2);
  a.now += 2min;
  cache.refresh_for_unknown_key(s.sink());
  CHECK(a.requests[jwks_url] == 3);
}

TEST_CASE("an unreachable authority is an error naming the metadata address") {
  scripted_authority a;
  a.documents.insert_or_assign(metadata_url, failure{std::string("connection refused")});
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot s;
  cache.get(s.sink());
  REQUIRE(s.value);
  REQUIRE_FALSE(*s.value);
  CHECK(s.value->error().find(metadata_url) != std::string::npos);
  CHECK(s.value->error().find("connection refused") != std::string::npos);
}

TEST_CASE("after a failure the authority is not asked again before the backoff ends") {
  scripted_authority a;
  a.documents.insert_or_assign(metadata_url, failure{std::string("503")});
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot s;
  for (int i = 0; i < 50; ++i) cache.get(s.sink());
  CHECK(a.requests[metadata_url] == 1);
  CHECK_FALSE(*s.value);
  a.now += 11s;
  a.documents.insert_or_assign(metadata_url, metadata_json);
  cache.get(s.sink());
  CHECK(a.requests[metadata_url] == 2);
  CHECK(*s.value);
}

TEST_CASE("when a refresh fails the last good metadata and keys are still served") {
  scripted_authority a;
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot s;
  cache.get(s.sink());
  a.now += 25h;
  a.documents.insert_or_assign(metadata_url, failure{std::string("timeout")});
  cache.get(s.sink());
  REQUIRE(*s.value);
  CHECK((**s.value)->keys.find("key-1"));
}

TEST_CASE("a malformed discovery document or JWKS is an error that says which") {
  scripted_authority a;
  a.documents.insert_or_assign(metadata_url, std::string("<html>maintenance</html>"));
  authority_cache broken_metadata(authority, a.fetcher(), a.options());
  outcome_slot s;
  broken_metadata.get(s.sink());
  CHECK(s.value->error().find("discovery document") != std::string::npos);

  scripted_authority b;
  b.documents.insert_or_assign(jwks_url, std::string(R"({"no":"keys"})"));
  authority_cache broken_keys(authority, b.fetcher(), b.options());
  broken_keys.get(s.sink());
  CHECK(s.value->error().find("signing keys at " + jwks_url) != std::string::npos);
}

TEST_CASE("a discovery document naming another authority's issuer is not used, and the error says to check the authority") {
  scripted_authority a;
  a.documents.insert_or_assign(metadata_url, R"({"issuer":"https://login.evil.example/tenant-1/v2.0",
    "authorization_endpoint":"https://login.example.com/tenant-1/oauth2/v2.0/authorize",
    "token_endpoint":"https://login.example.com/tenant-1/oauth2/v2.0/token", "jwks_uri":")" +
                                                 jwks_url + "\"}");
  authority_cache cache(authority, a.fetcher(), a.options());
  outcome_slot got;
  cache.get(got.sink());
  REQUIRE(got.value);
  REQUIRE_FALSE(*got.value);
  CHECK(got.value->error().find("names the issuer \"https://login.evil.example/tenant-1/v2.0\", which is not this authority") != std::string::npos);
  CHECK(a.requests[jwks_url] == 0);
}
