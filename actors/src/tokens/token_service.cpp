#include "onbehalf/actors/token_service.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "spawn.hpp"
#include "tokens/code_redemption.hpp"
#include "tokens/token_grants.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace onbehalf::actors {

namespace {

using token_callback = std::function<void(token_service_outcome)>;

// Where a request's tokens live, which actor acquires them, and what identifies its grant while
// one is in flight.
struct request_keys {
  std::string partition; // the account's, or the app's in its tenant
  std::string cache_key;
  std::string refresh_key; // where the user's refresh token lives; empty for app tokens
  std::chrono::seconds refresh_lifetime{0};
  std::string flight;
  std::string actor; // authority (tenant) + resource: one token actor each
};

// What a flight is for: its keys, and the scopes and options of the call that started it.
struct flight_request {
  request_keys keys;
  std::vector<std::string> scopes;
  token_acquisition_options options;
  secret assertion;     // on-behalf-of: the caller's token
  bool renewal = false; // its grant redeems a kept refresh token
};

// Local messages: they carry callbacks and outcomes, never leave the process, never serialized.
struct token_requested {
  std::string home_account_id; // empty: an app token, or one on behalf of a caller's token
  std::string caller_digest;   // on-behalf-of: the digest of the caller's token
  secret assertion;            // on-behalf-of: the caller's token
  std::vector<std::string> scopes;
  token_acquisition_options options;
  token_callback done; // empty: the caller was answered from L1 already; refresh if due
};

// Why a flight reads the access tokens L2 holds (into L1): on an L1 miss; once it holds the
// refresh token's lease (another holder may have just written a new token); after waiting on
// another holder.
enum class look_stage { before_lease, under_lease, after_waiting };

struct l2_looked {
  flight_request f;
  look_stage stage;
};

struct lease_answered {
  flight_request f;
  cache::coordination::lease_answer answer;
};

// Another holder's lease was released, or the poll interval passed: look again.
struct lease_wait_over {
  std::string flight;
  std::uint64_t generation;
};

// A refresh token read from L2 for a grant: empty when L2 has none; an error when L2 could not
// be read, which is not the same as having none.
struct refresh_token_read {
  flight_request f;
  result<secret, std::string> refresh_token;
};

struct grant_finished {
  flight_request f;
  token_outcome outcome;
};

} // namespace
} // namespace onbehalf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::token_requested)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::l2_looked)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::lease_answered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::lease_wait_over)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::grant_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::refresh_token_read)

namespace onbehalf::actors {

namespace {

using clock = std::chrono::system_clock;
using lease_state = cache::coordination::lease_state;

// Refresh tokens are kept for as long as Entra lets an unused one live.
constexpr std::chrono::hours refresh_token_lifetime{24 * 90};
// An on-behalf-of refresh token belongs to one caller's token, which its client replaces within
// the hour: a day keeps it for work that outlives the token, and bounds what each token leaves.
constexpr std::chrono::hours caller_refresh_token_lifetime{24};
using detail::send_grant;
using detail::shared_settings;

// One grant (or L2 read) that callers of the same token wait on.
struct flight {
  flight_request request;
  std::vector<token_callback> callers;
  std::optional<cache::coordination::lease> lease;
  clock::time_point give_up_at{}; // waiting on another holder ends here
  std::uint64_t generation = 0;   // which wake-up is the current one
};

struct token_actor_state {
  shared_settings settings;
  std::shared_ptr<cache::coordination> own_leases; // when the settings name none
  std::map<std::string, flight> flights;
  std::map<std::string, clock::time_point> throttled_until; // flight → no grant before
};

using token_actor_pointer = caf::stateful_actor<token_actor_state>*;

cache::coordination& leases_of(token_actor_pointer self) {
  const auto& s = *self->state.settings;
  return s.coordination ? *s.coordination : *self->state.own_leases;
}

// A call that must not be answered from the cache (ForceRefresh, a claims challenge).
bool bypasses_cache(const token_acquisition_options& o) { return o.force_refresh || !o.claims.empty(); }

const std::string& tenant_of(const token_service_settings& s, const token_acquisition_options& o) { return o.tenant.empty() ? s.tenant : o.tenant; }

// Whose tokens a request is for: the app's (both empty), a signed-in account's, or a web API
// caller's, known by the digest of the token it presented (on-behalf-of).
struct token_owner {
  std::string_view home_account_id;
  std::string_view caller_digest;
};

// App tokens are the app's, per tenant; a managed identity's are its own, whatever the tenant.
std::string app_partition_of(const token_service_settings& s, const token_acquisition_options& o) {
  if (o.managed_identity) return cache::keys::app_partition("managed-identity:" + *o.managed_identity, "");
  return cache::keys::app_partition(s.client.client_id, tenant_of(s, o));
}

// Where a request's access tokens live: the account's (or the app's) partition, per resource.
std::string access_key_for(const token_service_settings& s, token_owner owner, const std::vector<std::string>& scopes,
                           const token_acquisition_options& o) {
  auto resource = scopes.empty() ? std::string_view() : identity::resource_view_of_scope(scopes.front());
  const auto& tenant = tenant_of(s, o);
  auto home_account_id = owner.home_account_id;
  if (!owner.caller_digest.empty())
    return cache::keys::access_tokens(cache::keys::caller_partition(s.client.client_id, owner.caller_digest), resource);
  if (home_account_id.empty()) return cache::keys::access_tokens(app_partition_of(s, o), resource);
  // A user's tokens from another tenant (a guest's home tenant) are theirs too: they stay in the
  // account's partition, so sign-out removes them, under a resource key naming the tenant.
  if (tenant != s.tenant) return cache::keys::access_tokens_in_tenant(cache::keys::user_partition(home_account_id), tenant, resource, o.user_flow);
  return cache::keys::user_access_tokens(home_account_id, resource, o.user_flow);
}

request_keys keys_for(const token_service_settings& s, token_owner owner, const std::vector<std::string>& scopes,
                      const token_acquisition_options& o) {
  request_keys k;
  if (!owner.caller_digest.empty()) {
    k.partition = cache::keys::caller_partition(s.client.client_id, owner.caller_digest);
    k.refresh_key = cache::keys::refresh_token(k.partition);
    k.refresh_lifetime = caller_refresh_token_lifetime;
  } else if (!owner.home_account_id.empty()) {
    k.partition = cache::keys::user_partition(owner.home_account_id);
    k.refresh_key = cache::keys::refresh_token(k.partition, o.user_flow);
    k.refresh_lifetime = refresh_token_lifetime;
  } else {
    k.partition = app_partition_of(s, o);
  }
  k.cache_key = access_key_for(s, owner, scopes, o);
  auto sorted = scopes;
  for (auto& scope : sorted) scope = text::to_lower(scope);
  std::sort(sorted.begin(), sorted.end());
  k.flight = k.cache_key;
  for (const auto& scope : sorted) k.flight += " " + scope;
  // Calls that bypass the cache share a grant only with calls that bypass it the same way.
  if (bypasses_cache(o)) k.flight += " |fresh " + o.claims;
  k.actor = tenant_of(s, o) + "|" + o.user_flow + "|" + (scopes.empty() ? std::string() : identity::resource_of_scope(scopes.front()));
  return k;
}

cache::access_token_records records_at(cache::memory_cache& l1, const std::string& key) {
  auto bytes = l1.get(key);
  if (!bytes) return {};
  return cache::access_token_records::decode(*bytes).value_or(cache::access_token_records{});
}

// Granted scopes as the cache compares them: a provider that answers "read" for "api://x/read"
// has its bare names qualified with the requested resource (Graph's short names stay as they are).
// A token asked for with "{resource}/.default" answers that request again, though the authority
// lists the permissions it stands for instead.
std::vector<std::string> granted_scopes(std::vector<std::string> granted, const std::vector<std::string>& requested) {
  if (requested.empty()) return granted;
  for (const auto& scope : requested)
    if (scope.ends_with("/.default") && std::none_of(granted.begin(), granted.end(), [&](const std::string& g) { return text::iequals(g, scope); }))
      granted.push_back(scope);
  auto resource = identity::resource_of_scope(requested.front());
  if (resource == identity::graph_resource) return granted;
  for (auto& scope : granted)
    if (scope.find("://") == std::string::npos && scope != "openid" && scope != "profile" && scope != "offline_access" && scope != "email")
      scope = resource + "/" + scope;
  return granted;
}

clock::time_point latest_expiry(const cache::access_token_records& records) {
  clock::time_point latest{};
  for (const auto& t : records.all()) latest = std::max(latest, t.expires_on);
  return latest;
}

// L1 counts time on the steady clock; token expiries are wall-clock times.
cache::clock::time_point l1_expiry(clock::time_point expires) {
  return cache::clock::now() + std::chrono::duration_cast<cache::clock::duration>(expires - clock::now());
}

// Close to expiry, or past the authority's refresh hint: time for a new token.
bool refresh_due(const token_service_settings& s, const cache::cached_access_token& t, clock::time_point now) {
  return t.expires_on - now < s.refresh_margin || (t.refresh_on && *t.refresh_on <= now);
}

acquired_token answer_from(const cache::cached_access_token& t) { return {secret(t.token), t.expires_on}; }

// Stores a grant's access token in L1 and writes it through to L2 together with a rotated refresh
// token, in one atomic write, so a crash never leaves a new access token beside a refresh token
// the authority has already replaced; returns what callers get. With an L2, refresh tokens live
// there only — they are needed once an hour, not per request — which keeps an idle user's memory
// small and refresh tokens out of process memory; if L2 cannot take one (Redis down), L1 keeps
// it, so an outage does not sign the user out. Under a lease, the write completes the lease:
// it happens only while the lease is ours, and releases it for the next holder.
acquired_token keep(const token_service_settings& s, cache::coordination* leases, const request_keys& k, const std::vector<std::string>& scopes,
                    const identity::token_response& t, std::optional<cache::coordination::lease> lease = std::nullopt) {
  auto now = clock::now();
  auto expires = now + t.expires_in;
  auto records = records_at(*s.cache, k.cache_key);
  std::optional<clock::time_point> refresh_on;
  if (t.refresh_in) refresh_on = now + *t.refresh_in;
  records.store({granted_scopes(t.scopes.empty() ? scopes : t.scopes, scopes), t.access_token.reveal(), expires, refresh_on}, now);
  auto encoded = records.encode();
  auto keep_until = latest_expiry(records);
  s.cache->put(k.cache_key, encoded, l1_expiry(keep_until));
  bool rotated = !k.refresh_key.empty() && !t.refresh_token.empty();
  if (rotated) s.cache->erase(k.refresh_key); // an older one kept after an outage is stale now
  if (!s.store) {
    if (rotated) s.cache->put(k.refresh_key, t.refresh_token.reveal(), cache::clock::now() + k.refresh_lifetime);
    if (lease) leases->complete(std::move(*lease), {}, [](result<bool, std::string>) {});
    return {t.access_token, expires};
  }
  std::vector<cache::durable_store::entry> written{{k.cache_key, std::move(encoded), keep_until}};
  if (rotated) written.push_back({k.refresh_key, t.refresh_token.reveal(), now + k.refresh_lifetime});
  auto kept = [l1 = s.cache, key = rotated ? k.refresh_key : std::string(), rt = t.refresh_token,
               lifetime = k.refresh_lifetime](result<bool, std::string> written) {
    // A failed write is counted by the store for /metrics; the access token costs a later L1 miss at most.
    if ((!written || !*written) && !key.empty()) l1->put(key, rt.reveal(), cache::clock::now() + lifetime);
  };
  if (lease) {
    leases->complete(std::move(*lease), std::move(written), std::move(kept));
  } else {
    s.store->put_all(k.partition, std::move(written), std::move(kept));
  }
  return {t.access_token, expires};
}

// What a flight's callers get when no refresh token is kept for the account.
token_outcome sign_in_needed() {
  identity::token_failure f;
  f.kind = identity::failure_kind::interaction_required;
  f.reason = identity::interaction_reason::login_required;
  f.description = "no refresh token is kept for this account; the user must sign in again";
  return failure{std::move(f)};
}

// Ends a flight: its callers get `answer`, and a lease it still holds is given up.
void finish_flight(token_actor_pointer self, const std::string& name, const token_service_outcome& answer) {
  auto it = self->state.flights.find(name);
  if (it == self->state.flights.end()) return;
  auto ended = std::move(it->second);
  self->state.flights.erase(it);
  if (ended.lease) leases_of(self).release(std::move(*ended.lease));
  for (auto& caller : ended.callers)
    if (caller) caller(answer);
}

// Reads the access tokens L2 holds into L1 (another instance's, or this one's before a restart),
// then goes on in the actor with l2_looked. Without an L2, L1 is all there is.
void look(token_actor_pointer self, const flight_request& f, look_stage stage);

void on_looked(token_actor_pointer self, l2_looked& m);

void look(token_actor_pointer self, const flight_request& f, look_stage stage) {
  const auto& s = *self->state.settings;
  if (!s.store) {
    l2_looked m{f, stage};
    return on_looked(self, m);
  }
  s.store->get(f.keys.partition, f.keys.cache_key,
               [me = caf::actor_cast<caf::actor>(self), f, stage, l1 = s.cache](result<std::optional<std::string>, std::string> r) {
                 if (r && *r) {
                   if (auto records = cache::access_token_records::decode(**r)) l1->put(f.keys.cache_key, **r, l1_expiry(latest_expiry(*records)));
                 }
                 caf::anon_send(me, l2_looked{f, stage});
               });
}

std::function<void(token_outcome)> reporter(token_actor_pointer self, const flight_request& f) {
  return [me = caf::actor_cast<caf::actor>(self), f](token_outcome outcome) { caf::anon_send(me, grant_finished{f, std::move(outcome)}); };
}

// A grant under a lease gives up before the lease runs out.
std::optional<std::chrono::milliseconds> grant_timeout(token_actor_pointer self, const flight_request& f) {
  auto it = self->state.flights.find(f.keys.flight);
  if (it == self->state.flights.end() || !it->second.lease) return std::nullopt;
  return detail::timeout_within(self->state.settings->lease_time);
}

// Exchanges a web API caller's token for one to the downstream API (on-behalf-of).
void exchange_assertion(token_actor_pointer self, const flight_request& f) {
  const auto& s = self->state.settings;
  auto grant = s->on_behalf_of == on_behalf_of_grant::token_exchange ? identity::token_grant::token_exchange(f.assertion, f.scopes)
                                                                     : identity::token_grant::on_behalf_of(f.assertion, f.scopes);
  send_grant(s, std::move(grant), f.options, reporter(self, f), grant_timeout(self, f));
}

// What a flight does when no refresh token is kept: a signed-in user must sign in again; a web
// API's caller has its token to exchange.
void without_refresh_token(token_actor_pointer self, const flight_request& f) {
  if (!f.assertion.empty()) return exchange_assertion(self, f);
  reporter(self, f)(sign_in_needed());
}

void send_refresh_grant(token_actor_pointer self, flight_request f, const secret& refresh_token) {
  f.renewal = true;
  send_grant(self->state.settings, identity::token_grant::refresh(refresh_token, f.scopes), f.options, reporter(self, f), grant_timeout(self, f));
}

// Redeems the account's refresh token: from L1 (no L2 configured, or L2 was down when it was
// written), else from L2, read off this actor's thread.
void redeem_refresh_token(token_actor_pointer self, const flight_request& f) {
  const auto& s = self->state.settings;
  if (auto refresh_token = s->cache->get(f.keys.refresh_key)) return send_refresh_grant(self, f, secret(std::move(*refresh_token)));
  if (!s->store) return without_refresh_token(self, f);
  s->store->get(f.keys.partition, f.keys.refresh_key, [me = caf::actor_cast<caf::actor>(self), f](result<std::optional<std::string>, std::string> r) {
    if (!r) return caf::anon_send(me, refresh_token_read{f, failure{std::move(r.error())}});
    caf::anon_send(me, refresh_token_read{f, secret(*r ? std::move(**r) : std::string())});
  });
}

// A token cache that cannot be read says nothing about the user's sign-in: they are told to
// try again, not sent to sign in (which would lose what they were doing, and not help).
token_outcome token_cache_unreadable(const std::string& why) {
  identity::token_failure f;
  f.kind = identity::failure_kind::service_error;
  f.description = "the token cache could not be read (" + why + "); try again shortly";
  return failure{std::move(f)};
}

void on_refresh_token_read(token_actor_pointer self, refresh_token_read& r) {
  if (!r.refresh_token) return reporter(self, r.f)(token_cache_unreadable(r.refresh_token.error()));
  if (r.refresh_token->empty()) return without_refresh_token(self, r.f);
  send_refresh_grant(self, r.f, *r.refresh_token);
}

// Starts the one grant of a flight. An app token is asked for at once; a user's refresh token is
// redeemed only by the holder of its lease.
void begin_grant(token_actor_pointer self, const flight_request& f) {
  if (f.keys.refresh_key.empty() && f.options.managed_identity) {
    const auto& s = *self->state.settings;
    return send_managed_identity_request(*s.web, s.managed_identity,
                                         {f.scopes.empty() ? std::string() : f.scopes.front(), *f.options.managed_identity,
                                          "DownstreamApis:…:AcquireTokenOptions:ManagedIdentity:UserAssignedClientId"},
                                         detail::measured(self->state.settings, "managed_identity", reporter(self, f)));
  }
  if (f.keys.refresh_key.empty())
    return send_grant(self->state.settings, identity::token_grant::client_credentials(f.scopes), f.options, reporter(self, f));
  leases_of(self).acquire(f.keys.partition, f.keys.refresh_key, self->state.settings->lease_time,
                          [me = caf::actor_cast<caf::actor>(self), f](cache::coordination::lease_answer a) {
                            caf::anon_send(me, lease_answered{f, std::move(a)});
                          });
}

// Another holder redeems the token: wake when it is done, or when the poll interval passes.
void wait_for_holder(token_actor_pointer self, flight& fl, const flight_request& f) {
  auto generation = ++fl.generation;
  auto me = caf::actor_cast<caf::actor>(self);
  leases_of(self).on_released(f.keys.partition, f.keys.refresh_key, [me, name = f.keys.flight, generation] {
    caf::anon_send(me, lease_wait_over{name, generation});
  });
  self->delayed_send(self, self->state.settings->lease_poll, lease_wait_over{f.keys.flight, generation});
}

// Tells operators once when instances stop coordinating and once when they start again.
std::atomic<bool> coordinating_alone{false};

void on_lease_answered(token_actor_pointer self, lease_answered& m) {
  auto it = self->state.flights.find(m.f.keys.flight);
  if (it == self->state.flights.end()) {
    if (m.answer.state == lease_state::acquired) leases_of(self).release(std::move(m.answer.held));
    return;
  }
  auto& fl = it->second;
  switch (m.answer.state) {
  case lease_state::acquired:
    if (coordinating_alone.exchange(false)) log_info("Refresh-token leases are working again: instances redeem each refresh token once");
    fl.lease = std::move(m.answer.held);
    return look(self, m.f, look_stage::under_lease);
  case lease_state::held_elsewhere: {
    auto now = clock::now();
    if (fl.give_up_at == clock::time_point{}) fl.give_up_at = now + 2 * self->state.settings->lease_time;
    if (now < fl.give_up_at) return wait_for_holder(self, fl, m.f);
    identity::token_failure f;
    f.kind = identity::failure_kind::service_error;
    f.description = "another instance has been refreshing this token for too long; try again";
    log_warning("Gave up waiting for another instance's refresh of a token", {{"cid", m.f.options.correlation_id}});
    return finish_flight(self, m.f.keys.flight, failure{std::move(f)});
  }
  case lease_state::unavailable:
    if (!coordinating_alone.exchange(true))
      log_warning("Cannot take a refresh-token lease (Redis unreachable); each instance refreshes alone until it is back, so two may redeem "
                  "the same refresh token",
                  {{"error", m.answer.problem}});
    return redeem_refresh_token(self, m.f);
  }
}

void on_lease_wait_over(token_actor_pointer self, lease_wait_over& m) {
  auto it = self->state.flights.find(m.flight);
  if (it == self->state.flights.end() || it->second.generation != m.generation) return;
  ++it->second.generation; // the other wake-up of this wait, when it comes, is stale
  look(self, it->second.request, look_stage::after_waiting);
}

void on_looked(token_actor_pointer self, l2_looked& m) {
  auto& st = self->state;
  if (!st.flights.count(m.f.keys.flight)) return;
  auto now = clock::now();
  // A call that bypasses the cache (ForceRefresh, a claims challenge) wants a grant of its own.
  auto records = bypasses_cache(m.f.options) ? cache::access_token_records{} : records_at(*st.settings->cache, m.f.keys.cache_key);
  const auto* cached = records.best_for(m.f.scopes, now);
  bool fresh = cached && !refresh_due(*st.settings, *cached, now);
  if (fresh) return finish_flight(self, m.f.keys.flight, answer_from(*cached));
  switch (m.stage) {
  case look_stage::before_lease:
    if (cached) {
      // Usable, but due: its callers have it now, and the refresh goes on without them.
      auto callers = std::move(st.flights[m.f.keys.flight].callers);
      st.flights[m.f.keys.flight].callers.clear();
      token_service_outcome answer = answer_from(*cached);
      for (auto& caller : callers)
        if (caller) caller(answer);
    }
    return begin_grant(self, m.f);
  case look_stage::under_lease: return redeem_refresh_token(self, m.f);
  case look_stage::after_waiting: return begin_grant(self, m.f);
  }
}

// A web API caller's refresh token the authority no longer takes (revoked, expired) is dropped,
// and the flight exchanges the caller's token instead, which is still good, under the same lease.
bool exchanged_instead(token_actor_pointer self, grant_finished& g) {
  const auto& s = *self->state.settings;
  if (g.outcome || !g.f.renewal || g.f.assertion.empty() || g.outcome.error().error != "invalid_grant") return false;
  if (!self->state.flights.count(g.f.keys.flight)) return false;
  s.cache->erase(g.f.keys.refresh_key);
  if (s.store) s.store->erase(g.f.keys.partition, g.f.keys.refresh_key, [](result<bool, std::string>) {});
  g.f.renewal = false;
  exchange_assertion(self, g.f);
  return true;
}

void on_grant_finished(token_actor_pointer self, grant_finished& g) {
  if (exchanged_instead(self, g)) return;
  auto& st = self->state;
  auto it = st.flights.find(g.f.keys.flight);
  std::optional<cache::coordination::lease> lease;
  if (it != st.flights.end()) {
    lease = std::move(it->second.lease);
    it->second.lease.reset();
  }
  token_service_outcome answer = failure{identity::token_failure{}};
  if (g.outcome) {
    answer = keep(*st.settings, &leases_of(self), g.f.keys, g.f.scopes, *g.outcome, std::move(lease));
  } else {
    if (lease) leases_of(self).release(std::move(*lease));
    if (!g.f.keys.refresh_key.empty() && g.f.assertion.empty()) g.outcome = failure{identity::as_refresh_failure(std::move(g.outcome.error()))};
    if (g.outcome.error().retry_after) st.throttled_until[g.f.keys.flight] = clock::now() + *g.outcome.error().retry_after;
    log_warning("Could not acquire a token", {{"cid", g.f.options.correlation_id}, {"reason", g.outcome.error().message()}});
    answer = failure{g.outcome.error()};
  }
  finish_flight(self, g.f.keys.flight, answer);
}

void on_request(token_actor_pointer self, token_requested& r) {
  auto& st = self->state;
  flight_request f{keys_for(*st.settings, {r.home_account_id, r.caller_digest}, r.scopes, r.options), r.scopes, r.options, r.assertion};
  const auto& k = f.keys;
  auto now = clock::now();
  auto throttle = st.throttled_until.find(k.flight);
  bool throttled = throttle != st.throttled_until.end() && throttle->second > now;
  bool use_cache = !bypasses_cache(r.options);
  auto records = use_cache ? records_at(*st.settings->cache, k.cache_key) : cache::access_token_records{};
  if (const auto* cached = records.best_for(r.scopes, now)) {
    if (r.done) r.done(answer_from(*cached));
    // Answered already; a token close to expiry is refreshed now, without making anyone wait.
    if (refresh_due(*st.settings, *cached, now) && !st.flights.count(k.flight) && !throttled) {
      st.flights[k.flight].request = f;
      begin_grant(self, f);
    }
    return;
  }
  if (!r.done) return; // a background refresh whose token is gone from L1 waits for the next caller
  if (throttled) {
    identity::token_failure failed;
    failed.kind = identity::failure_kind::service_error;
    failed.description = "the authority asked us to wait before asking again";
    failed.retry_after = std::chrono::duration_cast<std::chrono::seconds>(throttle->second - now);
    return r.done(failure{std::move(failed)});
  }
  bool started = st.flights.count(k.flight) > 0;
  auto& fl = st.flights[k.flight];
  fl.callers.push_back(std::move(r.done));
  if (started) return;
  fl.request = f; // a grant (or a background refresh) for this token is under way
  if (use_cache && st.settings->store) return look(self, f, look_stage::before_lease);
  begin_grant(self, f);
}

caf::behavior token_actor(token_actor_pointer self, shared_settings settings, std::shared_ptr<cache::coordination> own_leases) {
  self->state.settings = std::move(settings);
  self->state.own_leases = std::move(own_leases);
  return {
      [self](token_requested& r) { on_request(self, r); },
      [self](l2_looked& m) { on_looked(self, m); },
      [self](lease_answered& m) { on_lease_answered(self, m); },
      [self](lease_wait_over& m) { on_lease_wait_over(self, m); },
      [self](refresh_token_read& r) { on_refresh_token_read(self, r); },
      [self](grant_finished& g) { on_grant_finished(self, g); },
  };
}

} // namespace

struct token_service::impl {
  caf::actor_system& system;
  shared_settings settings;
  mutable std::mutex mutex;
  std::unordered_map<std::string, caf::actor> actors; // tenant + resource → its token actor
  // Leases within this process, when the settings bring none: the token actors of two resources
  // must still not redeem one refresh token at once.
  std::shared_ptr<cache::coordination> own_leases;
  caf::actor redeemer; // sign-in codes: one redemption per code

  impl(caf::actor_system& sys, token_service_settings s) : system(sys), settings(std::make_shared<const token_service_settings>(std::move(s))) {
    if (!settings->coordination) own_leases = cache::coordinate_in_process(settings->store);
  }

  caf::actor code_redeemer() {
    std::lock_guard lock(mutex);
    if (!redeemer) redeemer = detail::spawn_code_redeemer(system, settings, settings->coordination ? settings->coordination : own_leases.get());
    return redeemer;
  }

  // Spawned on first use: a process talks to few authorities about few resources.
  caf::actor actor_for(const std::string& key) {
    std::lock_guard lock(mutex);
    auto& a = actors[key];
    if (!a) a = spawn_from_any_thread(system, token_actor, settings, own_leases);
    return a;
  }

  // The common case costs an L1 lookup on the caller's thread and no message: a cached token
  // that is not due for refresh is answered at once, read in place and copied once. Anything
  // else goes to the resource's actor.
  // The owner, `scopes` and the assertion are read in place, and copied only when the cache has no answer.
  void acquire(token_owner owner, const std::vector<std::string>& scopes, token_acquisition_options options, token_callback done,
               const secret* assertion = nullptr) {
    if (!options.user_flow.empty() && text::iequals(options.user_flow, settings->sign_in_flow)) options.user_flow.clear();
    if (!bypasses_cache(options)) {
      auto now = clock::now();
      std::optional<acquired_token> hit;
      bool due = false;
      settings->cache->read(access_key_for(*settings, owner, scopes, options), [&](std::string_view bytes) {
        auto found = cache::access_token_records::find_best(bytes, scopes, now);
        if (!found) return;
        hit = acquired_token{secret(std::string(found->token)), found->expires_on};
        due = found->expires_on - now < settings->refresh_margin || (found->refresh_on && *found->refresh_on <= now);
      });
      if (hit) {
        done(std::move(*hit));
        if (!due) return;
        done = nullptr; // the actor refreshes; nobody waits
      }
    }
    auto k = keys_for(*settings, owner, scopes, options);
    caf::anon_send(actor_for(k.actor), token_requested{std::string(owner.home_account_id), std::string(owner.caller_digest),
                                                       assertion ? *assertion : secret(), scopes, std::move(options), std::move(done)});
  }
};

token_service::token_service(caf::actor_system& system, token_service_settings settings)
    : impl_(std::make_unique<impl>(system, std::move(settings))) {}

token_service::~token_service() {
  std::lock_guard lock(impl_->mutex);
  for (auto& [key, actor] : impl_->actors) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  if (impl_->redeemer) caf::anon_send_exit(impl_->redeemer, caf::exit_reason::user_shutdown);
}

const token_endpoint_metrics& token_service::endpoint_metrics() const {
  static const token_endpoint_metrics none; // for settings that set metrics to null
  return impl_->settings->metrics ? *impl_->settings->metrics : none;
}

std::size_t token_service::live_actors() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->actors.size();
}

void token_service::acquire_token_for_app(std::string scope, std::function<void(token_service_outcome)> done) {
  acquire_token_for_app(std::move(scope), {}, std::move(done));
}

void token_service::acquire_token_for_app(std::string scope, token_acquisition_options options, std::function<void(token_service_outcome)> done) {
  impl_->acquire({}, {std::move(scope)}, std::move(options), std::move(done));
}

void token_service::redeem_code(identity::token_grant grant, std::function<void(result<identity::token_response, identity::token_failure>)> done) {
  redeem_code(std::move(grant), {}, std::move(done));
}

void token_service::redeem_code(identity::token_grant grant, std::string user_flow,
                                std::function<void(result<identity::token_response, identity::token_failure>)> done) {
  if (text::iequals(user_flow, impl_->settings->sign_in_flow)) user_flow.clear();
  detail::redeem_code_once(impl_->code_redeemer(), std::move(grant), std::move(user_flow), std::move(done));
}

void token_service::accept_sign_in_tokens(std::string home_account_id, std::vector<std::string> scopes, identity::token_response tokens,
                                          std::string user_flow) {
  token_acquisition_options o;
  o.user_flow = text::iequals(user_flow, impl_->settings->sign_in_flow) ? std::string() : std::move(user_flow);
  keep(*impl_->settings, nullptr, keys_for(*impl_->settings, {home_account_id, {}}, scopes, o), scopes, tokens);
}

void token_service::acquire_token_for_user(std::string home_account_id, std::vector<std::string> scopes,
                                           std::function<void(token_service_outcome)> done) {
  acquire_token_for_user(std::move(home_account_id), std::move(scopes), {}, std::move(done));
}

void token_service::acquire_token_for_user(std::string home_account_id, std::vector<std::string> scopes, token_acquisition_options options,
                                           std::function<void(token_service_outcome)> done) {
  impl_->acquire({home_account_id, {}}, scopes, std::move(options), std::move(done));
}

void token_service::acquire_token_for_user_in_place(std::string_view home_account_id, const std::vector<std::string>& scopes,
                                                    token_acquisition_options options, std::function<void(token_service_outcome)> done) {
  impl_->acquire({home_account_id, {}}, scopes, std::move(options), std::move(done));
}

void token_service::acquire_token_on_behalf_of(const secret& assertion, const std::vector<std::string>& scopes, token_acquisition_options options,
                                               std::function<void(token_service_outcome)> done, std::string_view assertion_digest) {
  if (!impl_->settings->sign_in_flow.empty()) {
    // Azure AD B2C has no on-behalf-of grant (nor token exchange): asking would only earn an
    // unsupported_grant_type, so the web API's author is told what to do instead.
    identity::token_failure f;
    f.kind = identity::failure_kind::configuration_error;
    f.description = "Azure AD B2C does not offer the on-behalf-of flow, so this B2C web API cannot call APIs as its caller: call them as the "
                    "app (the *_for_app calls), or pass the caller's token on to an API that accepts it";
    f.config_key = "AzureAd:SignUpSignInPolicyId";
    return done(failure{std::move(f)});
  }
  // The digest names the caller's tokens; the token itself travels only to the grant.
  std::string computed;
  if (assertion_digest.empty()) assertion_digest = computed = base64::encode(crypto::sha256(assertion.reveal()), base64::alphabet::url);
  impl_->acquire({{}, assertion_digest}, scopes, std::move(options), std::move(done), &assertion);
}

} // namespace onbehalf::actors
