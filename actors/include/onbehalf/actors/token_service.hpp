// The token actors: the one place that acquires tokens, for the app (client credentials) and for
// signed-in users (their cached refresh token). One actor per tenant and resource, spawned on
// first use. A cached token costs an L1 lookup on the caller's thread and no message; requests
// for the same missing token wait on one grant (single flight); a cached token nearing expiry is
// answered at once and refreshed in the background; a throttling authority's Retry-After is
// respected without calling it again. A grant that redeems a user's refresh token holds the
// token's lease (see cache/coordination.hpp), so instances sharing Redis redeem it once: the
// others wait, and use what the holder wrote.
#pragma once

#include "onbehalf/actors/token_endpoint_metrics.hpp"
#include "onbehalf/cache/coordination.hpp"
#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/cache/memory_cache.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/identity/authority_cache.hpp"
#include "onbehalf/identity/managed_identity.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
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

/// Per-call options, as MIW's TokenAcquisitionOptions.
struct token_acquisition_options {
  bool force_refresh = false; // skip the cache: a new grant, whose token then replaces the cached one
  std::string claims;         // a claims challenge (JSON) to satisfy; skips the cache for this call
  std::string tenant;         // another tenant than AzureAd:TenantId (a guest's home, or a customer tenant)
  std::string correlation_id; // sent to the authority as client-request-id, and logged
  std::string traceparent;    // W3C trace context, sent to the authority
  std::vector<std::pair<std::string, std::string>> extra_query_parameters; // added to the token request
  std::string user_flow; // B2C: tokens of this user flow, from its own authority and cached apart; empty: the sign-in flow
  /// App tokens from the managed-identity endpoint instead of the app's credentials: a
  /// user-assigned identity's client id, or empty for the system-assigned identity.
  std::optional<std::string> managed_identity{};
};

/// How an authority exchanges a web API caller's token for a token to a downstream API.
enum class on_behalf_of_grant {
  jwt_bearer,     // Entra's: grant_type jwt-bearer with requested_token_use=on_behalf_of
  token_exchange, // RFC 8693, as other providers offer it
};

struct token_service_settings {
  std::string token_endpoint;                     // when empty, the authority's discovery document names it
  identity::authority_cache* authority = nullptr; // must outlive the service; needed when token_endpoint is empty
  /// B2C: the authority of a user flow (the one above for an empty flow); must outlive the service.
  std::function<identity::authority_cache*(const std::string& user_flow)> authority_for_flow;
  /// Another tenant's authority, for calls that name a tenant (token_acquisition_options::tenant):
  /// its discovery document gives its token endpoint — for a domain, the one with the tenant's
  /// id, as Entra answers. Null (or none set): the configured endpoint with the tenant replaced.
  std::function<std::shared_ptr<identity::authority_cache>(const std::string& tenant)> authority_for_tenant;
  /// B2C: the sign-up-sign-in flow; asking for it is asking for the default flow (one cache).
  std::string sign_in_flow;
  std::string tenant; // partitions app tokens by client and tenant
  identity::client_authentication client;
  /// The credential chain's others (AzureAd:ClientCredentials after the first that loaded): when
  /// the authority refuses the credential in use (invalid_client), the next is tried, and the one
  /// that works is used from then on, until it is refused in turn.
  std::vector<identity::client_authentication> other_clients{};
  /// Which of client (0) and other_clients (1…) is in use; shared by every actor of the service.
  std::shared_ptr<std::atomic<std::size_t>> client_in_use = std::make_shared<std::atomic<std::size_t>>(0);
  http::client* web = nullptr;                            // must outlive the service
  identity::managed_identity_endpoint managed_identity{}; // for app tokens asked with token_acquisition_options::managed_identity
  cache::memory_cache* cache = nullptr;                   // the L1 cache; must outlive the service
  /// L2 (RocksDB or Redis), read on an L1 miss and written through; optional. Must outlive the
  /// service and close before the L1 cache: closing, it answers the writes still pending, and
  /// those answers may keep a refresh token in L1.
  cache::durable_store* store = nullptr;
  /// Who redeems a refresh token: one holder of its lease at a time, across the instances that
  /// share the store (Redis) — and across the token actors of this process, whose grants for two
  /// resources redeem the same token. None: leases within this process. Must outlive the service.
  cache::coordination* coordination = nullptr;
  /// How long a lease holds when its holder dies; grants under a lease time out before it ends.
  std::chrono::milliseconds lease_time{15'000};
  /// How often a caller waiting on another holder's lease looks at the store, when no
  /// notification came (the holder died, or the notification was lost).
  std::chrono::milliseconds lease_poll{250};
  /// A cached token this close to expiry is still answered, and refreshed in the background.
  std::chrono::seconds refresh_margin{300};
  on_behalf_of_grant on_behalf_of = on_behalf_of_grant::jwt_bearer;
  /// Every request to the authority, by grant and outcome, with its latency (for /metrics).
  std::shared_ptr<token_endpoint_metrics> metrics = std::make_shared<token_endpoint_metrics>();
};

class token_service {
public:
  token_service(caf::actor_system& system, token_service_settings settings);
  ~token_service(); // asks the actor to exit
  token_service(const token_service&) = delete;
  token_service& operator=(const token_service&) = delete;

  /// Acquires an app token for `scope` ("{resource}/.default"). Safe from any thread. `done`
  /// must not block: it runs on the calling thread when the cache has a token, else on an actor
  /// thread once the token actor of the tenant and resource has one.
  void acquire_token_for_app(std::string scope, std::function<void(token_service_outcome)> done);
  void acquire_token_for_app(std::string scope, token_acquisition_options options, std::function<void(token_service_outcome)> done);

  /// Redeems a sign-in's authorization code. The answer holds the id_token, which the caller
  /// validates before it hands the tokens back with accept_sign_in_tokens.
  void redeem_code(identity::token_grant grant, std::function<void(result<identity::token_response, identity::token_failure>)> done);
  /// The same at a B2C user flow's token endpoint.
  void redeem_code(identity::token_grant grant, std::string user_flow,
                   std::function<void(result<identity::token_response, identity::token_failure>)> done);

  /// Keeps what a sign-in's code redemption returned for the account `home_account_id` (oid.tid):
  /// its access token for `scopes`, and its refresh token for later grants.
  void accept_sign_in_tokens(std::string home_account_id, std::vector<std::string> scopes, identity::token_response tokens,
                             std::string user_flow = {});

  /// Acquires a token for the signed-in account: from the cache, or by redeeming its refresh
  /// token (rotated tokens are kept). Without a refresh token the failure asks for a sign-in.
  void acquire_token_for_user(std::string home_account_id, std::vector<std::string> scopes, std::function<void(token_service_outcome)> done);
  void acquire_token_for_user(std::string home_account_id, std::vector<std::string> scopes, token_acquisition_options options,
                              std::function<void(token_service_outcome)> done);
  /// The same, reading the account and scopes where they are: they are copied only when no cached
  /// token answers, so they need to outlive only this call (each request of a signed-in user).
  /// A name of its own, not an overload: a string literal would fit both.
  void acquire_token_for_user_in_place(std::string_view home_account_id, const std::vector<std::string>& scopes, token_acquisition_options options,
                                       std::function<void(token_service_outcome)> done);

  /// Acquires a token for `scopes` on behalf of a web API's caller, named by the access token it
  /// presented (`assertion`, issued for this app): from the tokens kept for that token, else by
  /// the on-behalf-of grant; a refresh token that grant yielded renews them. One grant per token
  /// and resource at a time, across the instances sharing Redis. `assertion` and `scopes` are
  /// read in place, and copied only when no cached token answers. `assertion_digest` is its
  /// SHA-256 (base64url) when the caller has it already (a web API's admission computed it).
  void acquire_token_on_behalf_of(const secret& assertion, const std::vector<std::string>& scopes, token_acquisition_options options,
                                  std::function<void(token_service_outcome)> done, std::string_view assertion_digest = {});

  /// Token actors alive now: one per tenant and resource asked for (for tests and /metrics).
  std::size_t live_actors() const;
  /// Requests to the authority so far, by grant and outcome, with latencies.
  const token_endpoint_metrics& endpoint_metrics() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::actors
