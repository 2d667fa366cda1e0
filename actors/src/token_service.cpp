#include "onbehalf/actors/token_service.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "spawn.hpp"
#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/authorize.hpp"

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

// Local messages: they carry callbacks and outcomes, never leave the process, never serialized.
struct token_requested {
  std::string home_account_id; // empty: an app token
  std::vector<std::string> scopes;
  token_acquisition_options options;
  token_callback done; // empty: the caller was answered from L1 already; refresh if due
};

struct code_redemption {
  identity::token_grant grant;
  std::string user_flow;
  std::function<void(token_outcome)> done;
};

// The L2 read of a flight has put whatever L2 had into L1.
struct l2_read {
  std::string flight;
  std::string cache_key;
  std::string refresh_key;
  std::vector<std::string> scopes;
  token_acquisition_options options;
};

// A refresh token read from L2 for a grant: empty when L2 has none.
struct refresh_token_read {
  std::string flight;
  std::string cache_key;
  std::string refresh_key;
  std::vector<std::string> scopes;
  token_acquisition_options options;
  secret refresh_token;
};

struct grant_finished {
  std::string flight;
  std::string cache_key;
  std::string refresh_key; // where the user's refresh token lives; empty for app tokens
  std::vector<std::string> scopes;
  token_outcome outcome;
  std::string correlation_id;
};

} // namespace
} // namespace onbehalf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::token_requested)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::code_redemption)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::l2_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::grant_finished)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::refresh_token_read)

namespace onbehalf::actors {

namespace {

using clock = std::chrono::system_clock;

// Refresh tokens are kept for as long as Entra lets an unused one live.
constexpr std::chrono::hours refresh_token_lifetime{24 * 90};

using shared_settings = std::shared_ptr<const token_service_settings>;

struct token_actor_state {
  shared_settings settings;
  std::map<std::string, std::vector<token_callback>> waiting; // flight → callers of the grant in flight
  std::map<std::string, clock::time_point> throttled_until;   // flight → no grant before
};

using token_actor_pointer = caf::stateful_actor<token_actor_state>*;

// Where a request's tokens live, which actor acquires them, and what identifies its grant while
// one is in flight.
struct request_keys {
  std::string cache_key;
  std::string refresh_key;
  std::string flight;
  std::string actor; // authority (tenant) + resource: one token actor each
};

// A call that must not be answered from the cache (ForceRefresh, a claims challenge).
bool bypasses_cache(const token_acquisition_options& o) { return o.force_refresh || !o.claims.empty(); }

const std::string& tenant_of(const token_service_settings& s, const token_acquisition_options& o) { return o.tenant.empty() ? s.tenant : o.tenant; }

// Where a request's access tokens live: the account's (or the app's) partition, per resource.
std::string access_key_for(const token_service_settings& s, std::string_view home_account_id, const std::vector<std::string>& scopes,
                           const token_acquisition_options& o) {
  auto resource = scopes.empty() ? std::string_view() : identity::resource_view_of_scope(scopes.front());
  const auto& tenant = tenant_of(s, o);
  if (home_account_id.empty()) return cache::keys::access_tokens(cache::keys::app_partition(s.client.client_id, tenant), resource);
  // A user's tokens from another tenant (a guest's home tenant) are theirs too: they stay in the
  // account's partition, so sign-out removes them, under a resource key naming the tenant.
  if (tenant != s.tenant)
    return cache::keys::access_tokens(cache::keys::user_partition(home_account_id), tenant + "|" + std::string(resource), o.user_flow);
  return cache::keys::user_access_tokens(home_account_id, resource, o.user_flow);
}

request_keys keys_for(const token_service_settings& s, std::string_view home_account_id, const std::vector<std::string>& scopes,
                      const token_acquisition_options& o) {
  request_keys k;
  k.cache_key = access_key_for(s, home_account_id, scopes, o);
  if (!home_account_id.empty()) k.refresh_key = cache::keys::refresh_token(cache::keys::user_partition(home_account_id), o.user_flow);
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
std::vector<std::string> granted_scopes(std::vector<std::string> granted, const std::vector<std::string>& requested) {
  if (requested.empty()) return granted;
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
// it, so an outage does not sign the user out.
acquired_token keep(const token_service_settings& s, const request_keys& k, const std::vector<std::string>& scopes, const identity::token_response& t) {
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
    if (rotated) s.cache->put(k.refresh_key, t.refresh_token.reveal(), cache::clock::now() + refresh_token_lifetime);
    return {t.access_token, expires};
  }
  std::vector<cache::durable_store::entry> written{{k.cache_key, std::move(encoded), keep_until}};
  if (rotated) written.push_back({k.refresh_key, t.refresh_token.reveal(), now + refresh_token_lifetime});
  s.store->put_all(std::move(written), [l1 = s.cache, key = rotated ? k.refresh_key : std::string(), rt = t.refresh_token](result<bool, std::string> written) {
    // A failed write is counted by the store for /metrics; the access token costs a later L1 miss at most.
    if (!written && !key.empty()) l1->put(key, rt.reveal(), cache::clock::now() + refresh_token_lifetime);
  });
  return {t.access_token, expires};
}

// On an L1 miss, a flight first reads the access tokens L2 holds (another instance's, or this
// one's before a restart) into L1, then goes on in the actor with l2_read.
void read_l2_then_continue(token_actor_pointer self, const request_keys& k, const std::vector<std::string>& scopes, const token_acquisition_options& o) {
  const auto& s = *self->state.settings;
  auto me = caf::actor_cast<caf::actor>(self);
  s.store->get(k.cache_key, [me, k, scopes, o, l1 = s.cache](result<std::optional<std::string>, std::string> r) {
    if (r && *r) {
      if (auto records = cache::access_token_records::decode(**r)) l1->put(k.cache_key, **r, l1_expiry(latest_expiry(*records)));
    }
    caf::anon_send(me, l2_read{k.flight, k.cache_key, k.refresh_key, scopes, o});
  });
}

// The token endpoint of another tenant: Entra's endpoints name the tenant as a path segment.
std::string endpoint_for_tenant(const std::string& endpoint, const std::string& configured, const std::string& wanted) {
  if (wanted.empty() || wanted == configured || configured.empty()) return endpoint;
  auto at = endpoint.find("/" + configured + "/");
  if (at == std::string::npos) return endpoint;
  return endpoint.substr(0, at + 1) + wanted + endpoint.substr(at + 1 + configured.size());
}

// Sends a grant to the token endpoint: the configured one, or the one the authority's
// discovery document names (fetched once and shared), for the tenant the options name.
void send_grant(const shared_settings& s, identity::token_grant grant, const token_acquisition_options& o, std::function<void(token_outcome)> done) {
  grant.claims = o.claims;
  identity::token_request_options request_options;
  request_options.correlation_id = o.correlation_id;
  request_options.extra_query_parameters = o.extra_query_parameters;
  // The answer may come after the actor is gone: the callbacks hold the shared settings, not the actor's state.
  auto send_to = [s, grant = std::move(grant), request_options, tenant = o.tenant](const std::string& endpoint, std::function<void(token_outcome)> done) {
    auto request = identity::build_token_request(endpoint_for_tenant(endpoint, s->tenant, tenant), s->client, grant, request_options);
    send_token_request(*s->web, request, std::move(done));
  };
  auto* authority = !o.user_flow.empty() && s->authority_for_flow ? s->authority_for_flow(o.user_flow) : s->authority;
  if (!s->token_endpoint.empty() || !authority) return send_to(s->token_endpoint, std::move(done));
  authority->get([send_to = std::move(send_to), done = std::move(done)](result<identity::authority_cache::snapshot_ptr, std::string> authority) mutable {
    if (!authority) return done(failure{identity::network_failure("the authority's discovery document: " + authority.error())});
    send_to((*authority)->metadata.token_endpoint, std::move(done));
  });
}

// What a flight's callers get when no refresh token is kept for the account.
token_outcome sign_in_needed() {
  identity::token_failure f;
  f.kind = identity::failure_kind::interaction_required;
  f.reason = identity::interaction_reason::login_required;
  f.description = "no refresh token is kept for this account; the user must sign in again";
  return failure{std::move(f)};
}

std::function<void(token_outcome)> reporter(token_actor_pointer self, const request_keys& k, const std::vector<std::string>& scopes,
                                            const token_acquisition_options& o) {
  return [me = caf::actor_cast<caf::actor>(self), k, scopes, cid = o.correlation_id](token_outcome outcome) {
    caf::anon_send(me, grant_finished{k.flight, k.cache_key, k.refresh_key, scopes, std::move(outcome), cid});
  };
}

// Starts the one grant for a flight; its outcome comes back to this actor as grant_finished. A
// user's refresh token comes from L1 (no L2 configured, or L2 was down when it was written), else
// from L2, read off this actor's thread.
void start_grant(token_actor_pointer self, const request_keys& k, const std::vector<std::string>& scopes, const token_acquisition_options& o) {
  const auto& s = self->state.settings;
  auto report = reporter(self, k, scopes, o);
  if (k.refresh_key.empty()) return send_grant(s, identity::token_grant::client_credentials(scopes), o, report);
  if (auto refresh_token = s->cache->get(k.refresh_key))
    return send_grant(s, identity::token_grant::refresh(secret(std::move(*refresh_token)), scopes), o, report);
  if (!s->store) return report(sign_in_needed());
  s->store->get(k.refresh_key, [me = caf::actor_cast<caf::actor>(self), k, scopes, o](result<std::optional<std::string>, std::string> r) {
    caf::anon_send(me, refresh_token_read{k.flight, k.cache_key, k.refresh_key, scopes, o, secret(r && *r ? **r : std::string())});
  });
}

void redeem_refresh_token(token_actor_pointer self, refresh_token_read& r) {
  request_keys k{r.cache_key, r.refresh_key, r.flight, {}};
  auto report = reporter(self, k, r.scopes, r.options);
  if (r.refresh_token.empty()) return report(sign_in_needed());
  send_grant(self->state.settings, identity::token_grant::refresh(r.refresh_token, r.scopes), r.options, report);
}

void finish_grant(token_actor_pointer self, grant_finished& g) {
  auto& st = self->state;
  auto callers = std::move(st.waiting[g.flight]);
  st.waiting.erase(g.flight);
  token_service_outcome answer = failure{identity::token_failure{}};
  if (g.outcome) {
    answer = keep(*st.settings, {g.cache_key, g.refresh_key, g.flight, {}}, g.scopes, *g.outcome);
  } else {
    if (!g.refresh_key.empty()) g.outcome = failure{identity::as_refresh_failure(std::move(g.outcome.error()))};
    if (g.outcome.error().retry_after) st.throttled_until[g.flight] = clock::now() + *g.outcome.error().retry_after;
    log_warning("Could not acquire a token", {{"cid", g.correlation_id}, {"reason", g.outcome.error().message()}});
    answer = failure{g.outcome.error()};
  }
  for (auto& caller : callers)
    if (caller) caller(answer);
}

void on_request(token_actor_pointer self, token_requested& r) {
  auto& st = self->state;
  auto k = keys_for(*st.settings, r.home_account_id, r.scopes, r.options);
  auto now = clock::now();
  auto throttle = st.throttled_until.find(k.flight);
  bool throttled = throttle != st.throttled_until.end() && throttle->second > now;
  bool use_cache = !bypasses_cache(r.options);
  auto records = use_cache ? records_at(*st.settings->cache, k.cache_key) : cache::access_token_records{};
  if (const auto* cached = records.best_for(r.scopes, now)) {
    if (r.done) r.done(answer_from(*cached));
    // Answered already; a token close to expiry is refreshed now, without making anyone wait.
    if (refresh_due(*st.settings, *cached, now) && !st.waiting.count(k.flight) && !throttled) {
      st.waiting[k.flight];
      start_grant(self, k, r.scopes, r.options);
    }
    return;
  }
  if (!r.done) return; // a background refresh whose token is gone from L1 waits for the next caller
  if (throttled) {
    identity::token_failure f;
    f.kind = identity::failure_kind::service_error;
    f.description = "the authority asked us to wait before asking again";
    f.retry_after = std::chrono::duration_cast<std::chrono::seconds>(throttle->second - now);
    return r.done(failure{std::move(f)});
  }
  auto& callers = st.waiting[k.flight];
  callers.push_back(std::move(r.done));
  if (callers.size() > 1) return;
  if (st.settings->store && use_cache) return read_l2_then_continue(self, k, r.scopes, r.options);
  start_grant(self, k, r.scopes, r.options);
}

// L2 had the token: the flight's callers get it with no grant. Otherwise the grant goes ahead.
void after_l2_read(token_actor_pointer self, l2_read& r) {
  auto& st = self->state;
  auto records = records_at(*st.settings->cache, r.cache_key);
  const auto* cached = records.best_for(r.scopes, clock::now());
  if (!cached) return start_grant(self, {r.cache_key, r.refresh_key, r.flight, {}}, r.scopes, r.options);
  auto callers = std::move(st.waiting[r.flight]);
  st.waiting.erase(r.flight);
  token_service_outcome answer = answer_from(*cached);
  for (auto& caller : callers)
    if (caller) caller(answer);
}

caf::behavior token_actor(token_actor_pointer self, shared_settings settings) {
  self->state.settings = std::move(settings);
  return {
      [self](token_requested& r) { on_request(self, r); },
      [self](grant_finished& g) { finish_grant(self, g); },
      [self](l2_read& r) { after_l2_read(self, r); },
      [self](refresh_token_read& r) { redeem_refresh_token(self, r); },
      [self](code_redemption& r) {
        token_acquisition_options o;
        o.user_flow = r.user_flow;
        send_grant(self->state.settings, r.grant, o, std::move(r.done));
      },
  };
}

} // namespace

struct token_service::impl {
  caf::actor_system& system;
  shared_settings settings;
  mutable std::mutex mutex;
  std::unordered_map<std::string, caf::actor> actors; // tenant + resource → its token actor

  impl(caf::actor_system& sys, token_service_settings s) : system(sys), settings(std::make_shared<const token_service_settings>(std::move(s))) {}

  // Spawned on first use: a process talks to few authorities about few resources.
  caf::actor actor_for(const std::string& key) {
    std::lock_guard lock(mutex);
    auto& a = actors[key];
    if (!a) a = spawn_from_any_thread(system, token_actor, settings);
    return a;
  }

  // The common case costs an L1 lookup on the caller's thread and no message: a cached token
  // that is not due for refresh is answered at once, read in place and copied once. Anything
  // else goes to the resource's actor.
  // `account` and `scopes` are read in place, and copied only when the cache has no answer.
  void acquire(std::string_view account, const std::vector<std::string>& scopes, token_acquisition_options options, token_callback done) {
    if (!options.user_flow.empty() && text::iequals(options.user_flow, settings->sign_in_flow)) options.user_flow.clear();
    if (!bypasses_cache(options)) {
      auto now = clock::now();
      std::optional<acquired_token> hit;
      bool due = false;
      settings->cache->read(access_key_for(*settings, account, scopes, options), [&](std::string_view bytes) {
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
    auto k = keys_for(*settings, account, scopes, options);
    caf::anon_send(actor_for(k.actor), token_requested{std::string(account), scopes, std::move(options), std::move(done)});
  }
};

token_service::token_service(caf::actor_system& system, token_service_settings settings) : impl_(std::make_unique<impl>(system, std::move(settings))) {}

token_service::~token_service() {
  std::lock_guard lock(impl_->mutex);
  for (auto& [key, actor] : impl_->actors) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
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
  auto actor = impl_->actor_for(impl_->settings->tenant + "|" + user_flow + "|sign-in");
  caf::anon_send(actor, code_redemption{std::move(grant), std::move(user_flow), std::move(done)});
}

void token_service::accept_sign_in_tokens(std::string home_account_id, std::vector<std::string> scopes, identity::token_response tokens,
                                          std::string user_flow) {
  token_acquisition_options o;
  o.user_flow = text::iequals(user_flow, impl_->settings->sign_in_flow) ? std::string() : std::move(user_flow);
  keep(*impl_->settings, keys_for(*impl_->settings, home_account_id, scopes, o), scopes, tokens);
}

void token_service::acquire_token_for_user(std::string home_account_id, std::vector<std::string> scopes,
                                           std::function<void(token_service_outcome)> done) {
  acquire_token_for_user(std::move(home_account_id), std::move(scopes), {}, std::move(done));
}

void token_service::acquire_token_for_user(std::string home_account_id, std::vector<std::string> scopes, token_acquisition_options options,
                                           std::function<void(token_service_outcome)> done) {
  impl_->acquire(home_account_id, scopes, std::move(options), std::move(done));
}

void token_service::acquire_token_for_user_in_place(std::string_view home_account_id, const std::vector<std::string>& scopes,
                                                    token_acquisition_options options, std::function<void(token_service_outcome)> done) {
  impl_->acquire(home_account_id, scopes, std::move(options), std::move(done));
}

} // namespace onbehalf::actors
