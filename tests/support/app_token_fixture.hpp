// The token actor for app tokens against the dev authority's daemon directory over HTTP.
#pragma once

#include "daemon_directory.hpp"
#include "sync_client.hpp"
#include "test_actor_system.hpp"

#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/devauthority/dev_authority.hpp"

#include <catch2/catch.hpp>

#include <future>

namespace onbehalf::testing::app_tokens {

using namespace std::chrono_literals;

inline const std::string scope = "api://orders/.default";

struct fixture {
  devauthority::dev_authority authority;
  std::unique_ptr<http::client> web = make_client();
  cache::memory_cache l1;
  testing::test_actor_system runtime;
  std::unique_ptr<actors::token_service> tokens;

  explicit fixture(std::chrono::seconds lifetime = 3600s, std::chrono::seconds margin = 300s) : authority(daemon_directory(lifetime)) {
    REQUIRE(authority.start());
    start(margin);
  }

  /// (Re)starts the token service, with `store` as its L2 when given.
  void start(std::chrono::seconds margin = 300s, cache::durable_store* store = nullptr) {
    tokens.reset();
    l1.erase_prefix(""); // a new process starts with an empty L1
    actors::token_service_settings s;
    s.token_endpoint = authority.base_url() + "/tenant-1/oauth2/v2.0/token";
    s.tenant = "tenant-1";
    s.client = {identity::client_authentication::method::client_secret_post, "daemon", secret("daemon-secret-1"), nullptr};
    s.web = web.get();
    s.cache = &l1;
    s.refresh_margin = margin;
    s.store = store;
    tokens = std::make_unique<actors::token_service>(*runtime.system, s);
  }
  ~fixture() {
    tokens.reset(); // before the actor system it runs in
  }

  actors::token_service_outcome acquire(actors::token_acquisition_options options = {}, const std::string& for_scope = scope) {
    std::promise<actors::token_service_outcome> done;
    auto f = done.get_future();
    tokens->acquire_token_for_app(for_scope, std::move(options), [&done](actors::token_service_outcome o) { done.set_value(std::move(o)); });
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    return f.get();
  }
};

} // namespace onbehalf::testing::app_tokens
