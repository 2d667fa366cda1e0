// The application's own level-2 store (host::use_durable_store, MIW's "any IDistributedCache"):
// sign-ins and tokens outlive a restart in it, and what it holds is sealed.
#include "../support/application_store.hpp"
#include "../support/web_app_fixture.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::web;

namespace {

// The fixture's app on the Memory backend: whatever survives a restart, the application's store kept.
config::app_settings memory_backend(app_fixture& app) {
  auto s = app.settings;
  s.host.cache.backend = config::cache_options::backend_type::memory;
  return s;
}

} // namespace

TEST_CASE("a host keeps sign-ins and tokens in the application's own store, sealed, across a restart") {
  auto contents = std::make_shared<application_store_contents>();
  app_fixture app([](config::app_settings& s) { s.host.cache.backend = config::cache_options::backend_type::memory; });
  app.store_of = [contents] { return std::make_unique<application_store>(contents); };
  app.restart();
  browser b(*app.web, app.origin);
  app.sign_in(b);
  auto first = app.user_token(ada_account(), {todo_scope});
  REQUIRE(first);
  REQUIRE(contents->entries() > 0);
  {
    std::lock_guard lock(contents->mutex);
    for (const auto& [partition, entries] : contents->partitions)
      for (const auto& [key, value] : entries) {
        INFO(key);
        CHECK(value.find(first->access_token.reveal()) == std::string::npos);
        // No JWT in the clear: their header begins {"alg": ("eyJhbGciOi"). Three characters would
        // turn up by chance in a few kilobytes of ciphertext now and then.
        CHECK(value.find("eyJhbGciOi") == std::string::npos);
      }
  }

  auto grants_before = app.authority.token_requests("refresh_token");
  app.restart(); // the Memory backend alone would forget the user here
  CHECK(b.request("GET", app.url("/profile")).body == "profile of Ada Lovelace");
  auto again = app.user_token(ada_account(), {todo_scope});
  REQUIRE(again);
  CHECK(again->access_token.reveal() == first->access_token.reveal());
  CHECK(app.authority.token_requests("refresh_token") == grants_before);
}

TEST_CASE("the application's own store without Onbehalf:Cache:EncryptionKeys fails the start, naming the key") {
  app_fixture app;
  auto settings = memory_backend(app);
  settings.host.cache.encryption_keys.clear();
  actors::host h(settings);
  h.use_durable_store(std::make_unique<application_store>(std::make_shared<application_store_contents>()));
  auto started = h.start();
  REQUIRE_FALSE(started);
  CHECK(started.error().find("Onbehalf:Cache:EncryptionKeys") != std::string::npos);
}
