#include "onbehalf/actors/session_service.hpp"

#include "onbehalf/core/coarse_clock.hpp"

#include "spawn.hpp"

#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace onbehalf::actors {

namespace {

// Local messages: they carry callbacks, never leave the process, never serialized.
struct session_start_requested {
  http::principal user;
  std::function<void(std::string)> done;
};

struct session_lookup {
  std::string session_id;
  std::function<void(session_service::found)> done;
};

struct account_signed_out {
  std::function<void()> done;
};

// Why the record is read from the store: the actor's start, a lookup that may not trust what it
// holds, a revalidation in the background, or a change about to be made under the lease.
enum class read_reason { start, check, background, change };

struct record_loaded {
  std::optional<std::string> bytes;
  bool failed = false; // the store could not be asked
  read_reason why = read_reason::start;
};

struct change_lease_answered {
  cache::coordination::lease_answer answer;
};

struct change_written {
  bool stored = false; // false: the store was away, and the change is pending
};

struct change_wait_over {
  std::uint64_t generation;
};

struct changed_elsewhere {};

using retire_atom = caf::atom_constant<caf::atom("retire")>;
using revalidate_atom = caf::atom_constant<caf::atom("revalid")>;

} // namespace
} // namespace onbehalf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::session_start_requested)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::session_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::account_signed_out)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::record_loaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::change_lease_answered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::change_written)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::change_wait_over)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::changed_elsewhere)

namespace onbehalf::actors {

using clock = std::chrono::system_clock;
using steady = std::chrono::steady_clock;

// Hands messages to the account's actor, spawning it when needed. Every send is counted under
// the shard's lock, so an idle actor can tell whether a message is still on its way before it
// retires: it only leaves when it has received all that was sent to it.
//
// One sweeper thread tells idle actors to retire, and (with a shared store) actors whose view
// is halfway to its revalidation to look at the store in the background: one wake-up per
// interval, however many accounts are signed in, rather than a timer per actor.
//
// Each actor also publishes a read-only view of its sessions beside its entry, so that the
// lookup every request makes is answered in place, on the caller's thread, without a message:
// only a miss (an account not in memory, an unknown session, a view past its revalidation)
// goes to the actor.
struct session_service::registry : std::enable_shared_from_this<registry> {
  struct published {
    std::vector<cache::account_record::session> sessions;
    user_ptr user;
    steady::time_point checked; // when the store last confirmed it
    std::uint64_t epoch = 0;    // the announcements it has heard of (see `epoch` below)
  };
  struct entry {
    caf::actor actor;
    std::uint64_t sent = 0;
    steady::time_point last_sent; // or last read in place: both keep the actor
    std::shared_ptr<const published> view;
  };
  struct shard {
    std::mutex mutex;
    std::unordered_map<std::string, entry> actors;
  };

  caf::actor_system& system;
  session_service_options options;
  std::unique_ptr<cache::coordination> own_coordination; // when the options name none
  cache::coordination* coordination = nullptr;
  bool shared = false; // other processes write the store: views are revalidated
  std::array<shard, 16> shards;
  // Raised whenever announcements may have been lost: every view published before is stale.
  std::atomic<std::uint64_t> epoch{0};

  // Who hears that an account's sessions changed (the host, which closes live pages).
  std::mutex observer_mutex;
  std::function<void(const std::string&)> on_changed;
  std::function<void()> on_missed;

  std::mutex sweeper_mutex;
  std::condition_variable sweeper_wake;
  bool stopping = false;
  std::thread sweeper;

  registry(caf::actor_system& s, session_service_options o) : system(s), options(o) {
    if (!options.coordination) own_coordination = cache::coordinate_in_process(options.store);
    coordination = options.coordination ? options.coordination : own_coordination.get();
    shared = options.store && coordination->shared();
  }

  void start() {
    if (shared) {
      std::weak_ptr<registry> weak = shared_from_this();
      coordination->observe_account_changes(
          [weak](std::string account) {
            if (auto self = weak.lock()) self->changed_elsewhere(account);
          },
          [weak] {
            if (auto self = weak.lock()) {
              self->epoch.fetch_add(1);
              self->tell_missed();
            }
          });
    }
    sweeper = std::thread([this] {
      auto interval = std::max<std::chrono::seconds>(std::chrono::seconds(1), options.actor_idle_timeout / 4);
      if (shared) interval = std::max<std::chrono::seconds>(std::chrono::seconds(1), std::min(interval, options.revalidation_interval / 4));
      std::unique_lock lock(sweeper_mutex);
      while (!sweeper_wake.wait_for(lock, interval, [this] { return stopping; })) sweep();
    });
  }

  void sweep() {
    auto now = coarse_steady_now();
    auto quiet_since = now - options.actor_idle_timeout;
    auto half = options.revalidation_interval / 2;
    for (auto& s : shards) {
      std::lock_guard lock(s.mutex);
      for (auto& [_, e] : s.actors) {
        if (e.last_sent <= quiet_since) {
          caf::anon_send(e.actor, retire_atom::value);
        } else if (shared && e.view && now - e.view->checked >= half) {
          // In use and halfway to stale: refreshed before a request has to wait for it.
          caf::anon_send(e.actor, revalidate_atom::value);
        }
      }
    }
  }

  bool stale(const published& v, steady::time_point now) const {
    return shared && (now - v.checked >= options.revalidation_interval || v.epoch != epoch.load(std::memory_order_relaxed));
  }

  shard& shard_for(const std::string& home_account_id) { return shards[std::hash<std::string>{}(home_account_id) % shards.size()]; }

  template <typename Message>
  void send(const std::string& home_account_id, Message message);

  void publish(const std::string& home_account_id, std::shared_ptr<const published> view) {
    auto& s = shard_for(home_account_id);
    std::lock_guard lock(s.mutex);
    if (auto it = s.actors.find(home_account_id); it != s.actors.end()) it->second.view = std::move(view);
  }

  /// The signed-in user of a live session, read in place; null when only the actor can tell.
  user_ptr find_published(const std::string& home_account_id, std::string_view session_id) {
    std::shared_ptr<const published> view;
    auto now = coarse_steady_now();
    {
      auto& s = shard_for(home_account_id);
      std::lock_guard lock(s.mutex);
      auto it = s.actors.find(home_account_id);
      if (it == s.actors.end() || !it->second.view) return nullptr;
      view = it->second.view;
      it->second.last_sent = now;
    }
    if (stale(*view, now)) return nullptr;
    auto wall = clock::now();
    for (const auto& s : view->sessions)
      if (s.expires_on > wall && crypto::constant_time_equals(s.id, session_id)) return view->user;
    return nullptr;
  }

  // Another instance changed the account: what this one holds of it goes, and its actor (if
  // any) reads the store again before it answers.
  void changed_elsewhere(const std::string& home_account_id) {
    if (options.cache) options.cache->erase_prefix(cache::keys::user_partition(home_account_id));
    {
      auto& s = shard_for(home_account_id);
      std::lock_guard lock(s.mutex);
      if (auto it = s.actors.find(home_account_id); it != s.actors.end()) {
        it->second.view = nullptr;
        ++it->second.sent;
        caf::anon_send(it->second.actor, actors::changed_elsewhere{});
      }
    }
    tell_changed(home_account_id);
  }

  void tell_changed(const std::string& home_account_id) {
    std::function<void(const std::string&)> observer;
    {
      std::lock_guard lock(observer_mutex);
      observer = on_changed;
    }
    if (observer) observer(home_account_id);
  }

  void tell_missed() {
    std::function<void()> observer;
    {
      std::lock_guard lock(observer_mutex);
      observer = on_missed;
    }
    if (observer) observer();
  }

  bool try_retire(const std::string& home_account_id, std::uint64_t received) {
    auto& s = shard_for(home_account_id);
    std::lock_guard lock(s.mutex);
    auto it = s.actors.find(home_account_id);
    if (it == s.actors.end() || it->second.sent != received) return false;
    s.actors.erase(it);
    return true;
  }

  std::size_t live() {
    std::size_t n = 0;
    for (auto& s : shards) {
      std::lock_guard lock(s.mutex);
      n += s.actors.size();
    }
    return n;
  }

  void stop_all() {
    {
      std::lock_guard lock(sweeper_mutex);
      stopping = true;
    }
    sweeper_wake.notify_all();
    if (sweeper.joinable()) sweeper.join();
    if (shared) coordination->observe_account_changes({}, {});
    for (auto& s : shards) {
      std::lock_guard lock(s.mutex);
      for (auto& [_, e] : s.actors) caf::anon_send_exit(e.actor, caf::exit_reason::user_shutdown);
      s.actors.clear();
    }
  }
};

namespace {

using registry_ptr = std::shared_ptr<session_service::registry>;
using lease_state = cache::coordination::lease_state;
using session_entry = cache::account_record::session;

// A change to the account's sessions, made one at a time, under the account's lease when the
// store is shared. `sync` writes what earlier changes could not (the store was away).
struct pending_change {
  enum class kind { start, end, sync };
  kind what = kind::sync;
  http::principal user;                     // who signs in
  std::function<void(std::string)> started; // with the new session's id
  std::function<void()> ended;
  std::string session_id; // chosen when the change is made
};

struct session_state {
  std::string home_account_id;
  std::string partition; // the account's in the caches
  std::string key;       // the account record's key in the caches
  registry_ptr registry;
  bool loaded = false;
  std::vector<std::function<void()>> waiting; // requests that arrived while the record was read
  cache::account_record record;               // as this instance believes it
  session_service::user_ptr user;
  std::uint64_t received = 0;
  steady::time_point checked;        // when the store last confirmed the record
  std::uint64_t epoch = 0;           // the registry's epoch then
  bool stale = false;                // another instance announced a change
  bool unread = false;               // the store could not be read, and nothing of the account was at hand
  steady::time_point last_miss_read; // an unknown session makes the store be asked, at most this often
  bool reading_in_background = false;
  std::deque<pending_change> changes;
  bool changing = false;
  std::optional<cache::coordination::lease> lease;
  std::uint64_t lease_wait = 0;
  steady::time_point give_up_waiting;
  // What this instance changed and the store does not know yet (it was away): laid over every
  // record read from the store, and written when it is back. Nothing a user did here is lost.
  std::vector<session_entry> unsaved_starts;
  std::optional<std::vector<std::pair<std::string, std::string>>> unsaved_claims;
  std::vector<std::string> unsaved_ends;
  std::chrono::seconds sync_delay{0};
};

using session_actor_pointer = caf::stateful_actor<session_state>*;

// An unknown session may have just started on another instance; asking the store about it at
// most this often keeps made-up session ids from costing a read each.
constexpr std::chrono::seconds miss_read_interval{1};
constexpr std::chrono::seconds first_sync_delay{1};
constexpr std::chrono::seconds longest_sync_delay{30};
constexpr std::string_view account_lease = "account";

using sync_atom = caf::atom_constant<caf::atom("sync")>;

const session_service_options& options_of(session_actor_pointer self) { return self->state.registry->options; }
bool shared_store(session_actor_pointer self) { return self->state.registry->shared; }
bool has_unsaved(const session_state& st) { return !st.unsaved_starts.empty() || !st.unsaved_ends.empty() || st.unsaved_claims; }

void forget_expired(cache::account_record& r, clock::time_point now) {
  std::erase_if(r.sessions, [now](const session_entry& s) { return s.expires_on <= now; });
}

// A record read from the store, with what this instance changed and could not write yet.
cache::account_record with_unsaved(const session_state& st, cache::account_record r) {
  std::erase_if(r.sessions,
                [&](const session_entry& s) { return std::find(st.unsaved_ends.begin(), st.unsaved_ends.end(), s.id) != st.unsaved_ends.end(); });
  for (const auto& started : st.unsaved_starts)
    if (std::none_of(r.sessions.begin(), r.sessions.end(), [&](const session_entry& s) { return s.id == started.id; })) r.sessions.push_back(started);
  if (st.unsaved_claims) r.claims = *st.unsaved_claims;
  while (r.sessions.size() > cache::account_record::max_sessions) r.sessions.erase(r.sessions.begin());
  return r;
}

// Takes `record` as the truth, as of now, and publishes it for lookups in place.
void use_record(session_actor_pointer self, cache::account_record record) {
  auto& st = self->state;
  forget_expired(record, clock::now());
  st.record = std::move(record);
  st.checked = coarse_steady_now();
  st.epoch = st.registry->epoch.load();
  st.stale = false;
  if (st.record.sessions.empty()) {
    st.user = nullptr;
    return st.registry->publish(st.home_account_id, nullptr);
  }
  st.user = std::make_shared<const http::principal>(http::principal{st.home_account_id, st.record.claims});
  using view = session_service::registry::published;
  st.registry->publish(st.home_account_id, std::make_shared<const view>(view{st.record.sessions, st.user, st.checked, st.epoch}));
}

// Takes what the store said, under what this instance has not written yet.
void use_stored(session_actor_pointer self, cache::account_record stored) { use_record(self, with_unsaved(self->state, std::move(stored))); }

cache::account_record decoded(session_actor_pointer self, const std::optional<std::string>& bytes) {
  if (!bytes) return {};
  if (auto record = cache::account_record::decode(*bytes)) return std::move(*record);
  log_warning("A stored session could not be read; the user will sign in again", {{"account", self->state.home_account_id}});
  return {};
}

// What the actor holds may not be believed without asking the store.
bool needs_check(session_actor_pointer self) {
  const auto& st = self->state;
  if (!shared_store(self)) return false;
  return st.stale || coarse_steady_now() - st.checked >= options_of(self).revalidation_interval || st.epoch != st.registry->epoch.load();
}

void read_from_store(session_actor_pointer self, read_reason why) {
  const auto& o = options_of(self);
  auto me = caf::actor_cast<caf::actor>(self);
  o.store->get(self->state.partition, self->state.key, [me, why, store = o.store](result<std::optional<std::string>, std::string> r) {
    if (!r) log_warning("Could not read a session from the shared cache", {{"store", store->kind()}, {"error", r.error()}});
    caf::anon_send(me, record_loaded{r ? std::move(*r) : std::nullopt, !r, why});
  });
}

// Holds requests until the store has answered.
void check_now(session_actor_pointer self) {
  self->state.loaded = false;
  read_from_store(self, read_reason::check);
}

// --- changes: one at a time, under the account's lease when the store is shared ---

void next_change(session_actor_pointer self);

// Writes (again) later what the store could not take now, waiting longer each time.
void schedule_sync(session_actor_pointer self) {
  auto& st = self->state;
  st.sync_delay = st.sync_delay.count() == 0 ? first_sync_delay : std::min(st.sync_delay * 2, longest_sync_delay);
  self->delayed_send(self, st.sync_delay, sync_atom::value);
}

void on_sync(session_actor_pointer self) {
  auto& st = self->state;
  if (!has_unsaved(st)) return;
  if (std::none_of(st.changes.begin(), st.changes.end(), [](const pending_change& c) { return c.what == pending_change::kind::sync; }))
    st.changes.push_back({});
  next_change(self);
}

// After a write: what the store now knows is no longer pending.
void saved(session_actor_pointer self, bool announce) {
  auto& st = self->state;
  st.unsaved_starts.clear();
  st.unsaved_ends.clear();
  st.unsaved_claims.reset();
  st.sync_delay = std::chrono::seconds(0);
  if (announce) st.registry->coordination->announce_account_changed(st.home_account_id);
}

// Writes the record as it now stands (its lease completed, when held), or removes the whole
// partition — the session record and every token cached for the account — when no session is
// left; then the change is written. A store that is away keeps the change pending.
void write_record(session_actor_pointer self) {
  auto& st = self->state;
  const auto& o = options_of(self);
  auto me = caf::actor_cast<caf::actor>(self);
  auto written = [me](bool stored) { caf::anon_send(me, change_written{stored}); };
  if (st.record.sessions.empty()) {
    if (o.cache) o.cache->erase_prefix(st.partition);
    if (!o.store) return written(true);
    auto lease = std::exchange(st.lease, std::nullopt);
    auto* coordination = st.registry->coordination;
    o.store->erase_partition(st.partition, [written, lease, coordination, store = o.store](result<std::size_t, std::string> r) {
      if (!r)
        log_warning("Could not remove a signed-out account from the shared cache; trying again", {{"store", store->kind()}, {"error", r.error()}});
      if (lease) coordination->release(*lease);
      written(bool(r));
    });
    return;
  }
  auto bytes = st.record.encode();
  auto lifetime = st.record.expires_on() - clock::now();
  if (o.cache) o.cache->put(st.key, bytes, cache::clock::now() + std::chrono::duration_cast<cache::clock::duration>(lifetime));
  if (!o.store) return written(true);
  auto stored = [written, store = o.store](result<bool, std::string> r) {
    if (!r)
      log_warning("Could not store a session in the shared cache; it lives in this process until the cache is back",
                  {{"store", store->kind()}, {"error", r.error()}});
    written(r && *r);
  };
  if (st.lease)
    return st.registry->coordination->complete(*std::exchange(st.lease, std::nullopt), {{st.key, std::move(bytes), st.record.expires_on()}},
                                               std::move(stored));
  o.store->put(st.partition, st.key, std::move(bytes), st.record.expires_on(), std::move(stored));
}

void apply_change(session_actor_pointer self) {
  auto& st = self->state;
  auto& c = st.changes.front();
  auto now = clock::now();
  switch (c.what) {
  case pending_change::kind::end:
    // The sessions known now end; one that starts later (here or elsewhere) is not touched.
    for (const auto& s : st.record.sessions) st.unsaved_ends.push_back(s.id);
    st.unsaved_starts.clear();
    st.unsaved_claims.reset();
    use_record(self, {});
    if (options_of(self).cache) options_of(self).cache->erase_prefix(st.partition);
    break;
  case pending_change::kind::start: {
    auto record = st.record;
    forget_expired(record, now);
    record.claims = std::move(c.user.claims); // the latest sign-in's claims (a profile edit changes them)
    c.session_id = crypto::random_token(18);
    session_entry started{c.session_id, now + options_of(self).absolute_lifetime};
    record.sessions.push_back(started);
    if (record.sessions.size() > cache::account_record::max_sessions) record.sessions.erase(record.sessions.begin());
    st.unsaved_starts.push_back(started);
    st.unsaved_claims = record.claims;
    use_record(self, std::move(record));
    break;
  }
  case pending_change::kind::sync: break;
  }
  write_record(self);
}

void on_change_written(session_actor_pointer self, change_written& m) {
  auto& st = self->state;
  auto c = std::move(st.changes.front());
  st.changes.pop_front();
  st.changing = false;
  if (m.stored) {
    saved(self, !st.unsaved_ends.empty()); // sessions ended: the other instances are told
  } else {
    schedule_sync(self);
  }
  // The user's request is answered either way: the change holds here while the store is away.
  if (c.what == pending_change::kind::end) c.ended();
  if (c.what == pending_change::kind::start) c.started(c.session_id);
  next_change(self);
}

void acquire_change_lease(session_actor_pointer self) {
  auto me = caf::actor_cast<caf::actor>(self);
  self->state.registry->coordination->acquire(self->state.partition, std::string(account_lease), options_of(self).lease_time,
                                              [me](cache::coordination::lease_answer a) { caf::anon_send(me, change_lease_answered{std::move(a)}); });
}

void next_change(session_actor_pointer self) {
  auto& st = self->state;
  if (st.changing || st.changes.empty()) return;
  st.changing = true;
  if (!shared_store(self)) return apply_change(self);
  st.give_up_waiting = coarse_steady_now() + 2 * options_of(self).lease_time;
  acquire_change_lease(self);
}

void on_change_lease(session_actor_pointer self, change_lease_answered& m) {
  auto& st = self->state;
  switch (m.answer.state) {
  case lease_state::acquired:
    // Under the lease, the store holds the latest record: the change starts from it.
    st.lease = std::move(m.answer.held);
    st.loaded = false;
    return read_from_store(self, read_reason::change);
  case lease_state::held_elsewhere:
    if (coarse_steady_now() < st.give_up_waiting) {
      auto generation = ++st.lease_wait;
      auto me = caf::actor_cast<caf::actor>(self);
      st.registry->coordination->on_released(st.partition, std::string(account_lease),
                                             [me, generation] { caf::anon_send(me, change_wait_over{generation}); });
      self->delayed_send(self, std::chrono::milliseconds(250), change_wait_over{generation});
      return;
    }
    log_warning("Another instance held an account's lease too long; changing its sessions without it", {{"account", st.home_account_id}});
    return apply_change(self);
  case lease_state::unavailable: return apply_change(self); // the store is away: the change holds here until it is back
  }
}

void on_change_wait_over(session_actor_pointer self, change_wait_over& m) {
  if (m.generation != self->state.lease_wait) return;
  ++self->state.lease_wait;
  acquire_change_lease(self);
}

// --- reading the record ---

void answer_waiting(session_actor_pointer self) {
  auto& st = self->state;
  st.loaded = true;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& w : waiting) w();
}

void on_record_loaded(session_actor_pointer self, record_loaded& m) {
  auto& st = self->state;
  switch (m.why) {
  case read_reason::start:
    if (m.failed && options_of(self).cache) {
      // The shared store is away: what this process last held of the account will do.
      if (auto bytes = options_of(self).cache->get(st.key)) m.bytes = std::move(bytes);
    }
    st.unread = m.failed && !m.bytes;
    use_stored(self, decoded(self, m.bytes));
    return answer_waiting(self);
  case read_reason::check:
  case read_reason::background:
    st.reading_in_background = false;
    if (!m.failed) {
      st.unread = false;
      bool ended = !m.bytes && !st.record.sessions.empty() && !has_unsaved(st);
      use_stored(self, decoded(self, m.bytes));
      if (ended && options_of(self).cache) options_of(self).cache->erase_prefix(st.partition); // ended elsewhere: its tokens go too
    } else if (st.stale) {
      // Told the account changed, and the store cannot say how: it ended, to be safe.
      use_record(self, {});
    } else {
      // The store is away: keep serving what we hold, and ask again after another interval.
      use_record(self, st.record);
    }
    if (m.why == read_reason::check) answer_waiting(self);
    return;
  case read_reason::change:
    if (!m.failed) {
      st.unread = false;
      use_stored(self, decoded(self, m.bytes));
    }
    answer_waiting(self);
    return apply_change(self);
  }
}

// Runs a request now, or once the record has been read.
template <typename Message, typename Handler>
void when_loaded(session_actor_pointer self, Message& m, Handler handle) {
  auto& st = self->state;
  ++st.received;
  if (st.loaded) return handle(self, m);
  st.waiting.push_back([self, m = std::move(m), handle]() mutable { handle(self, m); });
}

// A session not held here is unknown — or, when the store could not be read, not known yet.
void answer_not_found(session_actor_pointer self, session_lookup& m) {
  if (self->state.unread) return m.done(failure{std::string("the shared session store could not be read")});
  m.done(session_service::user_ptr());
}

void answer_lookup(session_actor_pointer self, session_lookup& m) {
  auto& st = self->state;
  auto now = clock::now();
  for (const auto& s : st.record.sessions)
    if (s.expires_on > now && crypto::constant_time_equals(s.id, m.session_id)) return m.done(st.user);
  answer_not_found(self, m);
}

// A lookup that may not trust what the actor holds asks the store first; so does one for a
// session unknown here, which may have started on another instance.
void on_lookup(session_actor_pointer self, session_lookup& m) {
  auto& st = self->state;
  ++st.received;
  auto ask_store_first = [&] {
    st.waiting.push_back([self, m = std::move(m)]() mutable { answer_lookup(self, m); });
    if (st.loaded) check_now(self);
  };
  if (!st.loaded || needs_check(self)) return ask_store_first();
  auto now = clock::now();
  for (const auto& s : st.record.sessions)
    if (s.expires_on > now && crypto::constant_time_equals(s.id, m.session_id)) return m.done(st.user);
  if (shared_store(self) && coarse_steady_now() - st.last_miss_read >= miss_read_interval) {
    st.last_miss_read = coarse_steady_now();
    return ask_store_first();
  }
  answer_not_found(self, m);
}

void revalidate_in_background(session_actor_pointer self) {
  auto& st = self->state;
  if (!st.loaded || st.changing || st.reading_in_background || !shared_store(self)) return;
  st.reading_in_background = true;
  read_from_store(self, read_reason::background);
}

void read_record_at_start(session_actor_pointer self) {
  auto& st = self->state;
  const auto& o = options_of(self);
  // With a shared store the cache of this process may be stale: the store is asked first.
  if (!shared_store(self) && o.cache) {
    if (auto bytes = o.cache->get(st.key)) {
      record_loaded m{std::move(bytes), false, read_reason::start};
      return on_record_loaded(self, m);
    }
  }
  if (!o.store) {
    record_loaded m{std::nullopt, false, read_reason::start};
    return on_record_loaded(self, m);
  }
  read_from_store(self, read_reason::start);
}

// Leaves only when nothing more is on its way (see the registry) and nothing is left to write;
// otherwise the next sweep asks again.
void retire_if_idle(session_actor_pointer self) {
  auto& st = self->state;
  if (st.loaded && !st.changing && !has_unsaved(st) && st.registry->try_retire(st.home_account_id, st.received)) self->quit();
}

caf::behavior session_actor(session_actor_pointer self, std::string home_account_id, registry_ptr registry) {
  auto& st = self->state;
  st.home_account_id = std::move(home_account_id);
  st.partition = cache::keys::user_partition(st.home_account_id);
  st.key = cache::keys::account(st.partition);
  st.registry = std::move(registry);
  read_record_at_start(self);
  return {
      [self](session_start_requested& m) {
        when_loaded(self, m, [](session_actor_pointer self, session_start_requested& m) {
          pending_change c;
          c.what = pending_change::kind::start;
          c.user = std::move(m.user);
          c.started = std::move(m.done);
          self->state.changes.push_back(std::move(c));
          next_change(self);
        });
      },
      [self](session_lookup& m) { on_lookup(self, m); },
      [self](account_signed_out& m) {
        when_loaded(self, m, [](session_actor_pointer self, account_signed_out& m) {
          pending_change c;
          c.what = pending_change::kind::end;
          c.ended = std::move(m.done);
          self->state.changes.push_back(std::move(c));
          next_change(self);
        });
      },
      [self](changed_elsewhere&) {
        ++self->state.received;
        self->state.stale = true;
        self->state.registry->publish(self->state.home_account_id, nullptr);
      },
      [self](record_loaded& m) { on_record_loaded(self, m); },
      [self](change_lease_answered& m) { on_change_lease(self, m); },
      [self](change_wait_over& m) { on_change_wait_over(self, m); },
      [self](change_written& m) { on_change_written(self, m); },
      [self](sync_atom) { on_sync(self); },
      [self](revalidate_atom) { revalidate_in_background(self); },
      [self](retire_atom) { retire_if_idle(self); },
  };
}

} // namespace

template <typename Message>
void session_service::registry::send(const std::string& home_account_id, Message message) {
  auto& s = shard_for(home_account_id);
  std::lock_guard lock(s.mutex);
  auto& e = s.actors[home_account_id];
  if (!e.actor) e.actor = spawn_from_any_thread(system, session_actor, home_account_id, shared_from_this());
  ++e.sent;
  e.last_sent = coarse_steady_now();
  caf::anon_send(e.actor, std::move(message));
}

session_service::session_service(caf::actor_system& system, session_service_options options)
    : registry_(std::make_shared<registry>(system, options)) {
  registry_->start();
}

session_service::~session_service() { registry_->stop_all(); }

void session_service::start(http::principal user, std::function<void(std::string)> done) {
  auto id = user.home_account_id;
  registry_->send(id, session_start_requested{std::move(user), std::move(done)});
}

session_service::user_ptr session_service::find_published(const std::string& home_account_id, std::string_view session_id) {
  return registry_->find_published(home_account_id, session_id);
}

void session_service::find(const std::string& home_account_id, std::string session_id, std::function<void(found)> done) {
  if (auto user = registry_->find_published(home_account_id, session_id)) return done(std::move(user));
  registry_->send(home_account_id, session_lookup{std::move(session_id), std::move(done)});
}

void session_service::end(const std::string& home_account_id, std::function<void()> done) {
  std::weak_ptr<registry> weak = registry_;
  registry_->send(home_account_id, account_signed_out{[weak, home_account_id, done = std::move(done)] {
                    done();
                    if (auto r = weak.lock()) r->tell_changed(home_account_id);
                  }});
}

void session_service::observe_account_changes(std::function<void(const std::string&)> changed, std::function<void()> missed) {
  std::lock_guard lock(registry_->observer_mutex);
  registry_->on_changed = std::move(changed);
  registry_->on_missed = std::move(missed);
}

std::size_t session_service::live_actors() const { return registry_->live(); }

} // namespace onbehalf::actors
