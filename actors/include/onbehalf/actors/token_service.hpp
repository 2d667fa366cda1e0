// The token actor: the one place that acquires tokens, for the app (client credentials) and for
// signed-in users (their cached refresh token). Requests for the same missing token wait on one
// grant (single flight); a cached token is answered at once and refreshed in the background when
// it nears expiry; a throttling authority's Retry-After is respected without calling it again.
#pragma once

#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/cache/memory_cache.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/identity/authority_cache.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace caf {
class actor_system;
}

namespace onbehalf::actors {

struct acquired_token {
  secret access_token;
  std::chrono::system_clock::time_point expires_on;
};

using token_service_outcome = result<acquired_token, identity::token_failure>;

struct token_service_settings {
  std::string token_endpoint;                 // when empty, the authority's discovery document names it
  identity::authority_cache* authority = nullptr; // must outlive the service; needed when token_endpoint is empty
  std::string tenant; // partitions app tokens by client and tenant
  identity::client_authentication client; // its certificate, if any, must outlive the service
  http::client* web = nullptr;            // must outlive the service
  cache::memory_cache* cache = nullptr;   // the L1 cache; must outlive the service
  cache::durable_store* store = nullptr;  // L2 (RocksDB or Redis), read on an L1 miss and written through; optional
  /// A cached token this close to expiry is still answered, and refreshed in the background.
  std::chrono::seconds refresh_margin{300};
};

class token_service {
public:
  token_service(caf::actor_system& system, token_service_settings settings);
  ~token_service(); // asks the actor to exit
  token_service(const token_service&) = delete;
  token_service& operator=(const token_service&) = delete;

  /// Acquires an app token for `scope` ("{resource}/.default"). Safe from any thread; `done`
  /// runs on an actor thread and must not block.
  void acquire_token_for_app(std::string scope, std::function<void(token_service_outcome)> done);

  /// Redeems a sign-in's authorization code. The answer holds the id_token, which the caller
  /// validates before it hands the tokens back with accept_sign_in_tokens.
  void redeem_code(identity::token_grant grant, std::function<void(result<identity::token_response, identity::token_failure>)> done);

  /// Keeps what a sign-in's code redemption returned for the account `home_account_id` (oid.tid):
  /// its access token for `scopes`, and its refresh token for later grants.
  void accept_sign_in_tokens(std::string home_account_id, std::vector<std::string> scopes, identity::token_response tokens);

  /// Acquires a token for the signed-in account: from the cache, or by redeeming its refresh
  /// token (rotated tokens are kept). Without a refresh token the failure asks for a sign-in.
  void acquire_token_for_user(std::string home_account_id, std::vector<std::string> scopes, std::function<void(token_service_outcome)> done);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::actors
