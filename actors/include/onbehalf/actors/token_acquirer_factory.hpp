// Token acquisition and downstream APIs without the front (MIW's TokenAcquirerFactory): for a
// daemon, or an app with its own HTTP server. From the same appsettings.json it builds the actor
// system, the HTTP client, the authority's metadata cache, the token caches (RocksDB or Redis
// as configured) and the token actors, and hands out downstream APIs, authorization headers and
// token credentials. The host (the web app) is built on one.
#pragma once

#include "onbehalf/actors/authorization_header_provider.hpp"
#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/actors/token_credential.hpp"
#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/cache/coordination.hpp"
#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/cache/memory_cache.hpp"
#include "onbehalf/config/settings.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/identity/authority_cache.hpp"

#include <memory>
#include <optional>
#include <string>

namespace caf {
class actor_system;
}

namespace onbehalf::actors {

class token_acquirer_factory {
public:
  explicit token_acquirer_factory(config::app_settings settings);
  /// Reads appsettings.json, its environment sibling and environment variables as the host
  /// does; the error lists every problem, each naming its key.
  static result<std::unique_ptr<token_acquirer_factory>, std::string> from_file(const std::string& path, char** environment);
  ~token_acquirer_factory(); // stops the actors, then closes the caches
  token_acquirer_factory(const token_acquirer_factory&) = delete;
  token_acquirer_factory& operator=(const token_acquirer_factory&) = delete;

  /// Keeps tokens in `store` instead of the store Onbehalf:Cache:Backend names (MIW's "register
  /// any IDistributedCache"): your database, your key-value service. Values reach it sealed with
  /// Onbehalf:Cache:EncryptionKeys, which must be set. Leases stay within this process: instances
  /// that share users share Redis. Call before build().
  void use_durable_store(std::unique_ptr<cache::durable_store> store);
  /// Starts everything; the error says what to fix (a cache folder in use, a certificate that
  /// cannot be read…). Call once, before anything below.
  result<bool, std::string> build();
  /// Stops the actors and closes the caches; waits for nothing else. Called by the destructor.
  void shutdown();

  const config::app_settings& settings() const noexcept;
  token_service& tokens();
  /// Valid from construction: handlers may keep it before build().
  downstream_api& downstream_apis();
  authorization_header_provider& authorization_headers();
  token_credential app_credential();
  token_credential user_credential(signed_in_user user);

  // What the host builds on.
  caf::actor_system& system();
  http::client& web();
  /// The authority's metadata and keys; for B2C, of a user flow (the sign-in flow's when empty).
  identity::authority_cache& authority(std::string_view user_flow = {});
  cache::memory_cache& memory_cache();
  cache::durable_store* durable_store(); // null with the Memory backend
  /// Leases and announcements: Redis's with the Redis backend, else this process's own.
  cache::coordination& coordination();
  /// With the Redis backend: its state, for /healthz and /metrics ("connected", "unreachable: …").
  std::optional<std::string> redis_state() const;
  /// With the Redis backend: Prometheus lines about it (connected, commands, failures, redirections).
  std::string redis_metrics() const;
  /// Prometheus lines about the level-2 store: requests by operation and outcome, and latency.
  std::string store_metrics() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::actors
