#include "onbehalf/actors/token_service.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/core/log.hpp"

#include <caf/all.hpp>

#include <map>
#include <vector>

namespace onbehalf::actors {

namespace {

// Local messages: they carry callbacks and outcomes, never leave the process, never serialized.
struct app_token_requested {
  std::string scope;
  std::function<void(app_token_outcome)> done;
};

struct grant_finished {
  std::string key;
  std::string scope;
  token_outcome outcome;
};

} // namespace
} // namespace onbehalf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::app_token_requested)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::grant_finished)

namespace onbehalf::actors {

namespace {

using clock = std::chrono::system_clock;

struct token_actor_state {
  token_service_settings settings;
  std::map<std::string, std::vector<std::function<void(app_token_outcome)>>> waiting; // key → callers of the grant in flight
  std::map<std::string, clock::time_point> throttled_until;
};

using token_actor_pointer = caf::stateful_actor<token_actor_state>*;

std::string cache_key(const token_service_settings& s, const std::string& scope) {
  return cache::keys::access_tokens(cache::keys::app_partition(s.client.client_id, s.tenant), scope);
}

cache::access_token_records records_at(cache::memory_cache& l1, const std::string& key) {
  auto bytes = l1.get(key);
  if (!bytes) return {};
  return cache::access_token_records::decode(*bytes).value_or(cache::access_token_records{});
}

// Starts the one grant for `key`; its outcome comes back to this actor as grant_finished.
void start_grant(token_actor_pointer self, const std::string& key, const std::string& scope) {
  auto& s = self->state.settings;
  auto request = identity::build_token_request(s.token_endpoint, s.client, identity::token_grant::client_credentials({scope}));
  auto me = caf::actor_cast<caf::actor>(self);
  send_token_request(*s.web, request, [me, key, scope](token_outcome outcome) { caf::anon_send(me, grant_finished{key, scope, std::move(outcome)}); });
}

void finish_grant(token_actor_pointer self, grant_finished& g) {
  auto& st = self->state;
  auto callers = std::move(st.waiting[g.key]);
  st.waiting.erase(g.key);
  auto now = clock::now();
  app_token_outcome answer = failure{identity::token_failure{}};
  if (g.outcome) {
    auto expires = now + g.outcome->expires_in;
    auto records = records_at(*st.settings.cache, g.key);
    std::optional<clock::time_point> refresh_on;
    if (g.outcome->refresh_in) refresh_on = now + *g.outcome->refresh_in;
    records.store({g.outcome->scopes.empty() ? std::vector<std::string>{g.scope} : g.outcome->scopes, g.outcome->access_token.reveal(), expires,
                   refresh_on},
                  now);
    st.settings.cache->put(g.key, records.encode(), cache::clock::now() + (expires - now));
    answer = app_token{g.outcome->access_token, expires};
  } else {
    if (g.outcome.error().retry_after) st.throttled_until[g.key] = now + *g.outcome.error().retry_after;
    log_warning("Could not acquire an app token", {{"scope", g.scope}, {"reason", g.outcome.error().message()}});
    answer = failure{g.outcome.error()};
  }
  for (auto& caller : callers) caller(answer);
}

void on_request(token_actor_pointer self, app_token_requested& r) {
  auto& st = self->state;
  auto key = cache_key(st.settings, r.scope);
  auto now = clock::now();
  auto records = records_at(*st.settings.cache, key);
  if (const auto* cached = records.best_for({r.scope}, now)) {
    r.done(app_token{secret(cached->token), cached->expires_on});
    // Close to expiry (or past the authority's refresh hint): refresh now, without making anyone wait.
    bool due = cached->expires_on - now < st.settings.refresh_margin || (cached->refresh_on && *cached->refresh_on <= now);
    if (due && !st.waiting.count(key) && !(st.throttled_until.count(key) && st.throttled_until[key] > now)) {
      st.waiting[key];
      start_grant(self, key, r.scope);
    }
    return;
  }
  if (auto until = st.throttled_until.find(key); until != st.throttled_until.end() && until->second > now) {
    identity::token_failure f;
    f.kind = identity::failure_kind::service_error;
    f.http_status = 429;
    f.retry_after = std::chrono::duration_cast<std::chrono::seconds>(until->second - now) + std::chrono::seconds(1);
    f.description = "the authority asked to wait before the next token request";
    return r.done(failure{std::move(f)});
  }
  auto& callers = st.waiting[key];
  callers.push_back(std::move(r.done));
  if (callers.size() == 1) start_grant(self, key, r.scope);
}

caf::behavior token_actor(token_actor_pointer self, token_service_settings settings) {
  self->state.settings = std::move(settings);
  return {
      [self](app_token_requested& r) { on_request(self, r); },
      [self](grant_finished& g) { finish_grant(self, g); },
  };
}

} // namespace

struct token_service::impl {
  caf::actor actor;
};

token_service::token_service(caf::actor_system& system, token_service_settings settings) : impl_(std::make_unique<impl>()) {
  impl_->actor = system.spawn(token_actor, std::move(settings));
}

token_service::~token_service() { caf::anon_send_exit(impl_->actor, caf::exit_reason::user_shutdown); }

void token_service::acquire_token_for_app(std::string scope, std::function<void(app_token_outcome)> done) {
  caf::anon_send(impl_->actor, app_token_requested{std::move(scope), std::move(done)});
}

} // namespace onbehalf::actors
