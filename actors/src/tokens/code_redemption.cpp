#include "tokens/code_redemption.hpp"

#include "spawn.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/json/value.hpp"

#include <caf/all.hpp>

#include <map>

namespace onbehalf::actors::detail {

namespace {

using redemption_callback = std::function<void(token_outcome)>;

// Local messages: they carry callbacks and outcomes, never leave the process, never serialized.
struct redemption_requested {
  identity::token_grant grant;
  std::string user_flow;
  redemption_callback done;
};

struct redemption_lease_answered {
  std::string id;
  cache::coordination::lease_answer answer;
};

// What another instance kept of a redemption: empty when there is nothing (yet).
struct redemption_answer_read {
  std::string id;
  std::optional<std::string> body;
  bool under_lease = false;
};

struct redemption_wait_over {
  std::string id;
  std::uint64_t generation;
};

struct redemption_finished {
  std::string id;
  token_outcome outcome;
};

} // namespace
} // namespace onbehalf::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::detail::redemption_requested)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::detail::redemption_lease_answered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::detail::redemption_answer_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::detail::redemption_wait_over)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::detail::redemption_finished)

namespace onbehalf::actors::detail {

namespace {

using clock = std::chrono::system_clock;
using lease_state = cache::coordination::lease_state;

// Long enough for a second callback of the same sign-in to find the first one's answer; the code
// itself is good for minutes at most.
constexpr std::chrono::seconds answer_lifetime{60};
constexpr std::chrono::milliseconds poll_interval{250};
constexpr std::string_view lease_name = "redeem";

struct redemption {
  identity::token_grant grant;
  std::string user_flow;
  std::vector<redemption_callback> callers;
  std::optional<cache::coordination::lease> lease;
  std::uint64_t generation = 0;
  clock::time_point give_up_at{};
};

struct redeemer_state {
  shared_settings settings;
  cache::coordination* leases = nullptr;
  std::map<std::string, redemption> pending; // by id_of(grant)
};

using redeemer_pointer = caf::stateful_actor<redeemer_state>*;

// What identifies a redemption: the code with its PKCE verifier and redirect URI, so that only the
// browser that started the sign-in (whose correlation cookie holds the verifier) can be given an
// answer another callback obtained. A code alone, stolen, finds nothing.
std::string id_of(const identity::token_grant& g) {
  auto field = [&g](std::string_view name) { return std::string(g.fields.find(name).value_or("")); };
  auto digest = crypto::sha256(field("code") + "\n" + field("code_verifier") + "\n" + field("redirect_uri"));
  return base64::encode(digest, base64::alphabet::url).substr(0, 32);
}

std::string partition_of(const std::string& id) { return "c|" + id + "|"; }
std::string answer_key(const std::string& id) { return partition_of(id) + "answer"; }

// A token response as the token endpoint wrote it, so another instance reads it back the same way.
std::string as_endpoint_body(const identity::token_response& t) {
  json::object body{{"access_token", t.access_token.reveal()},
                    {"token_type", t.token_type.empty() ? std::string("Bearer") : t.token_type},
                    {"expires_in", static_cast<long long>(t.expires_in.count())},
                    {"scope", text::join(t.scopes, " ")}};
  if (!t.refresh_token.empty()) body.emplace_back("refresh_token", t.refresh_token.reveal());
  if (!t.id_token.empty()) body.emplace_back("id_token", t.id_token);
  if (t.refresh_in) body.emplace_back("refresh_in", static_cast<long long>(t.refresh_in->count()));
  if (!t.client_info.empty()) body.emplace_back("client_info", t.client_info);
  return json::serialize(json::value(std::move(body)));
}

bool coordinated(redeemer_pointer self) { return self->state.leases && self->state.leases->shared() && self->state.settings->store; }

void finish(redeemer_pointer self, const std::string& id, const token_outcome& outcome) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  auto done = std::move(it->second);
  self->state.pending.erase(it);
  if (done.lease) self->state.leases->release(std::move(*done.lease));
  for (auto& caller : done.callers) caller(outcome);
}

void redeem_now(redeemer_pointer self, const std::string& id) {
  auto& r = self->state.pending.at(id);
  token_acquisition_options o;
  o.user_flow = r.user_flow;
  auto timeout = r.lease ? std::optional(timeout_within(self->state.settings->lease_time)) : std::nullopt;
  send_grant(
      self->state.settings, r.grant, o,
      [me = caf::actor_cast<caf::actor>(self), id](token_outcome outcome) {
        caf::anon_send(me, redemption_finished{id, std::move(outcome)});
      },
      timeout);
}

void acquire(redeemer_pointer self, const std::string& id) {
  self->state.leases->acquire(partition_of(id), std::string(lease_name), self->state.settings->lease_time,
                              [me = caf::actor_cast<caf::actor>(self), id](cache::coordination::lease_answer a) {
                                caf::anon_send(me, redemption_lease_answered{id, std::move(a)});
                              });
}

void read_answer(redeemer_pointer self, const std::string& id, bool under_lease) {
  self->state.settings->store->get(partition_of(id), answer_key(id),
                                   [me = caf::actor_cast<caf::actor>(self), id, under_lease](result<std::optional<std::string>, std::string> r) {
                                     caf::anon_send(me, redemption_answer_read{id, r ? std::move(*r) : std::nullopt, under_lease});
                                   });
}

void on_requested(redeemer_pointer self, redemption_requested& m) {
  auto id = id_of(m.grant);
  auto& r = self->state.pending[id];
  r.callers.push_back(std::move(m.done));
  if (r.callers.size() > 1) return; // the same sign-in's callback again: it shares this redemption
  r.grant = std::move(m.grant);
  r.user_flow = std::move(m.user_flow);
  if (!coordinated(self)) return redeem_now(self, id);
  r.give_up_at = clock::now() + 2 * self->state.settings->lease_time;
  acquire(self, id);
}

void on_lease_answered(redeemer_pointer self, redemption_lease_answered& m) {
  auto it = self->state.pending.find(m.id);
  if (it == self->state.pending.end()) return;
  auto& r = it->second;
  switch (m.answer.state) {
  case lease_state::acquired:
    // Another instance may have redeemed it and released the lease just now.
    r.lease = std::move(m.answer.held);
    return read_answer(self, m.id, true);
  case lease_state::held_elsewhere: {
    if (clock::now() >= r.give_up_at) {
      identity::token_failure f;
      f.kind = identity::failure_kind::service_error;
      f.description = "another instance has been redeeming this sign-in's code for too long";
      return finish(self, m.id, failure{std::move(f)});
    }
    auto generation = ++r.generation;
    auto me = caf::actor_cast<caf::actor>(self);
    self->state.leases->on_released(partition_of(m.id), std::string(lease_name), [me, id = m.id, generation] {
      caf::anon_send(me, redemption_wait_over{id, generation});
    });
    self->delayed_send(self, poll_interval, redemption_wait_over{m.id, generation});
    return;
  }
  case lease_state::unavailable: return redeem_now(self, m.id);
  }
}

void on_wait_over(redeemer_pointer self, redemption_wait_over& m) {
  auto it = self->state.pending.find(m.id);
  if (it == self->state.pending.end() || it->second.generation != m.generation) return;
  ++it->second.generation;
  read_answer(self, m.id, false);
}

void on_answer_read(redeemer_pointer self, redemption_answer_read& m) {
  if (!self->state.pending.count(m.id)) return;
  if (m.body) {
    auto answer = identity::read_token_response(200, *m.body, "");
    if (answer) return finish(self, m.id, std::move(answer));
    log_warning("A sign-in's code redemption kept by another instance could not be read; redeeming here");
  }
  if (m.under_lease) return redeem_now(self, m.id);
  acquire(self, m.id);
}

void on_finished(redeemer_pointer self, redemption_finished& m) {
  auto it = self->state.pending.find(m.id);
  if (it == self->state.pending.end()) return;
  auto& r = it->second;
  if (m.outcome && r.lease) {
    // The answer is kept for the other callbacks of this sign-in; the write releases the lease.
    auto lease = std::move(*r.lease);
    r.lease.reset();
    self->state.leases->complete(std::move(lease), {{answer_key(m.id), as_endpoint_body(*m.outcome), clock::now() + answer_lifetime}},
                                 [](result<bool, std::string>) {});
  }
  finish(self, m.id, m.outcome);
}

caf::behavior code_redeemer(redeemer_pointer self, shared_settings settings, cache::coordination* leases) {
  self->state.settings = std::move(settings);
  self->state.leases = leases;
  return {
      [self](redemption_requested& m) { on_requested(self, m); }, [self](redemption_lease_answered& m) { on_lease_answered(self, m); },
      [self](redemption_wait_over& m) { on_wait_over(self, m); }, [self](redemption_answer_read& m) { on_answer_read(self, m); },
      [self](redemption_finished& m) { on_finished(self, m); },
  };
}

} // namespace

caf::actor spawn_code_redeemer(caf::actor_system& system, shared_settings settings, cache::coordination* leases) {
  return spawn_from_any_thread(system, code_redeemer, std::move(settings), leases);
}

void redeem_code_once(const caf::actor& redeemer, identity::token_grant grant, std::string user_flow, std::function<void(token_outcome)> done) {
  caf::anon_send(redeemer, redemption_requested{std::move(grant), std::move(user_flow), std::move(done)});
}

} // namespace onbehalf::actors::detail
