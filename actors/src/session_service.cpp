#include "onbehalf/actors/session_service.hpp"

#include "onbehalf/core/coarse_clock.hpp"

#include "spawn.hpp"

#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"

#include <caf/all.hpp>

#include <array>
#include <condition_variable>
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
  std::function<void(session_service::user_ptr)> done;
};

struct account_signed_out {
  std::function<void()> done;
};

struct record_loaded {
  std::optional<std::string> bytes;
};

using retire_atom = caf::atom_constant<caf::atom("retire")>;

} // namespace
} // namespace onbehalf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::session_start_requested)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::session_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::account_signed_out)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::record_loaded)

namespace onbehalf::actors {

using clock = std::chrono::system_clock;

// Hands messages to the account's actor, spawning it when needed. Every send is counted under
// the shard's lock, so an idle actor can tell whether a message is still on its way before it
// retires: it only leaves when it has received all that was sent to it.
//
// One sweeper thread tells idle actors to retire: one wake-up per interval, however many
// accounts are signed in, rather than a timer per actor.
//
// Each actor also publishes a read-only view of its sessions beside its entry, so that the
// lookup every request makes is answered in place, on the caller's thread, without a message:
// only a miss (an account not in memory, an unknown session) goes to the actor.
struct session_service::registry : std::enable_shared_from_this<registry> {
  struct published {
    std::vector<cache::account_record::session> sessions;
    user_ptr user;
  };
  struct entry {
    caf::actor actor;
    std::uint64_t sent = 0;
    std::chrono::steady_clock::time_point last_sent; // or last read in place: both keep the actor
    std::shared_ptr<const published> view;
  };
  struct shard {
    std::mutex mutex;
    std::unordered_map<std::string, entry> actors;
  };

  caf::actor_system& system;
  session_service_options options;
  std::array<shard, 16> shards;

  std::mutex sweeper_mutex;
  std::condition_variable sweeper_wake;
  bool stopping = false;
  std::thread sweeper;

  registry(caf::actor_system& s, session_service_options o) : system(s), options(o) {}

  void start_sweeper() {
    sweeper = std::thread([this] {
      auto interval = std::max<std::chrono::seconds>(std::chrono::seconds(1), options.actor_idle_timeout / 4);
      std::unique_lock lock(sweeper_mutex);
      while (!sweeper_wake.wait_for(lock, interval, [this] { return stopping; })) ask_idle_to_retire();
    });
  }

  void ask_idle_to_retire() {
    auto quiet_since = coarse_steady_now() - options.actor_idle_timeout;
    for (auto& s : shards) {
      std::lock_guard lock(s.mutex);
      for (auto& [_, e] : s.actors)
        if (e.last_sent <= quiet_since) caf::anon_send(e.actor, retire_atom::value);
    }
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
    {
      auto& s = shard_for(home_account_id);
      std::lock_guard lock(s.mutex);
      auto it = s.actors.find(home_account_id);
      if (it == s.actors.end() || !it->second.view) return nullptr;
      view = it->second.view;
      it->second.last_sent = coarse_steady_now();
    }
    auto now = clock::now();
    for (const auto& s : view->sessions)
      if (s.expires_on > now && crypto::constant_time_equals(s.id, session_id)) return view->user;
    return nullptr;
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
    for (auto& s : shards) {
      std::lock_guard lock(s.mutex);
      for (auto& [_, e] : s.actors) caf::anon_send_exit(e.actor, caf::exit_reason::user_shutdown);
      s.actors.clear();
    }
  }
};

namespace {

struct session_state {
  std::string home_account_id;
  std::string key; // the account record's key in the caches
  std::shared_ptr<session_service::registry> registry;
  bool loaded = false;
  std::vector<std::function<void()>> waiting; // requests that arrived before the record was read
  cache::account_record record;
  session_service::user_ptr user;
  std::uint64_t received = 0;
};

using session_actor_pointer = caf::stateful_actor<session_state>*;

const session_service_options& options_of(session_actor_pointer self) { return self->state.registry->options; }

void forget_expired(cache::account_record& r, clock::time_point now) {
  std::erase_if(r.sessions, [now](const cache::account_record::session& s) { return s.expires_on <= now; });
}

void use_record(session_actor_pointer self, cache::account_record record) {
  auto& st = self->state;
  forget_expired(record, clock::now());
  st.record = std::move(record);
  st.user = std::make_shared<const http::principal>(http::principal{st.home_account_id, st.record.claims});
  st.registry->publish(st.home_account_id, std::make_shared<const session_service::registry::published>(
                                               session_service::registry::published{st.record.sessions, st.user}));
}

// Writes the record to L1 and L2; `done` runs once L2 has answered (or at once without one).
void write_through(session_actor_pointer self, std::function<void()> done) {
  auto& st = self->state;
  const auto& o = options_of(self);
  auto bytes = st.record.encode();
  auto lifetime = st.record.expires_on() - clock::now();
  if (o.cache) o.cache->put(st.key, bytes, cache::clock::now() + std::chrono::duration_cast<cache::clock::duration>(lifetime));
  if (!o.store) return done();
  o.store->put(st.key, std::move(bytes), st.record.expires_on(), [done = std::move(done), store = o.store](result<bool, std::string> r) {
    if (!r) log_warning("Could not store a session in the shared cache; it lives in this process only", {{"store", store->kind()}, {"error", r.error()}});
    done();
  });
}

void start_session(session_actor_pointer self, session_start_requested& m) {
  auto& st = self->state;
  auto now = clock::now();
  auto record = st.record;
  forget_expired(record, now);
  record.claims = std::move(m.user.claims); // the latest sign-in's claims (a profile edit changes them)
  auto id = crypto::random_token(18);
  record.sessions.push_back({id, now + options_of(self).absolute_lifetime});
  if (record.sessions.size() > cache::account_record::max_sessions) record.sessions.erase(record.sessions.begin());
  use_record(self, std::move(record));
  write_through(self, [done = std::move(m.done), id] { done(id); });
}

void find_session(session_actor_pointer self, session_lookup& m) {
  auto& st = self->state;
  auto now = clock::now();
  for (const auto& s : st.record.sessions)
    if (s.expires_on > now && crypto::constant_time_equals(s.id, m.session_id)) return m.done(st.user);
  m.done(nullptr);
}

void sign_out(session_actor_pointer self, account_signed_out& m) {
  auto& st = self->state;
  const auto& o = options_of(self);
  st.record = {};
  st.user = nullptr;
  st.registry->publish(st.home_account_id, nullptr);
  // The whole partition goes: the session record and every token cached for the account.
  auto partition = cache::keys::user_partition(st.home_account_id);
  if (o.cache) o.cache->erase_prefix(partition);
  if (!o.store) return m.done();
  o.store->erase_prefix(partition, [done = std::move(m.done), store = o.store](result<std::size_t, std::string> r) {
    if (!r) log_warning("Could not remove a signed-out account from the shared cache", {{"store", store->kind()}, {"error", r.error()}});
    done();
  });
}

// Runs a request now, or once the record has been read.
template <typename Message, typename Handler>
void when_loaded(session_actor_pointer self, Message& m, Handler handle) {
  auto& st = self->state;
  ++st.received;
  if (st.loaded) return handle(self, m);
  st.waiting.push_back([self, m = std::move(m), handle]() mutable { handle(self, m); });
}

void loaded(session_actor_pointer self, std::optional<std::string> bytes) {
  auto& st = self->state;
  if (bytes) {
    if (auto record = cache::account_record::decode(*bytes)) {
      use_record(self, std::move(*record));
    } else {
      log_warning("A stored session could not be read; the user will sign in again", {{"account", st.home_account_id}});
    }
  }
  st.loaded = true;
  auto waiting = std::move(st.waiting);
  for (auto& w : waiting) w();
}

void read_record(session_actor_pointer self) {
  auto& st = self->state;
  const auto& o = options_of(self);
  if (o.cache) {
    if (auto bytes = o.cache->get(st.key)) return loaded(self, std::move(bytes));
  }
  if (!o.store) return loaded(self, std::nullopt);
  auto me = caf::actor_cast<caf::actor>(self);
  o.store->get(st.key, [me, store = o.store](result<std::optional<std::string>, std::string> r) {
    if (!r) log_warning("Could not read a session from the shared cache; the user will sign in again", {{"store", store->kind()}, {"error", r.error()}});
    caf::anon_send(me, record_loaded{r ? std::move(*r) : std::nullopt});
  });
}

// Leaves only when nothing more is on its way (see the registry); otherwise the next sweep asks again.
void retire_if_idle(session_actor_pointer self) {
  auto& st = self->state;
  if (st.loaded && st.registry->try_retire(st.home_account_id, st.received)) self->quit();
}

caf::behavior session_actor(session_actor_pointer self, std::string home_account_id, std::shared_ptr<session_service::registry> registry) {
  auto& st = self->state;
  st.home_account_id = std::move(home_account_id);
  st.key = cache::keys::account(cache::keys::user_partition(st.home_account_id));
  st.registry = std::move(registry);
  read_record(self);
  return {
      [self](session_start_requested& m) { when_loaded(self, m, start_session); },
      [self](session_lookup& m) { when_loaded(self, m, find_session); },
      [self](account_signed_out& m) { when_loaded(self, m, sign_out); },
      [self](record_loaded& m) { loaded(self, std::move(m.bytes)); },
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
  registry_->start_sweeper();
}

session_service::~session_service() { registry_->stop_all(); }

void session_service::start(http::principal user, std::function<void(std::string)> done) {
  auto id = user.home_account_id;
  registry_->send(id, session_start_requested{std::move(user), std::move(done)});
}

session_service::user_ptr session_service::find_published(const std::string& home_account_id, std::string_view session_id) {
  return registry_->find_published(home_account_id, session_id);
}

void session_service::find(const std::string& home_account_id, std::string session_id, std::function<void(user_ptr)> done) {
  if (auto user = registry_->find_published(home_account_id, session_id)) return done(std::move(user));
  registry_->send(home_account_id, session_lookup{std::move(session_id), std::move(done)});
}

void session_service::end(const std::string& home_account_id, std::function<void()> done) {
  registry_->send(home_account_id, account_signed_out{std::move(done)});
}

std::size_t session_service::live_actors() const { return registry_->live(); }

} // namespace onbehalf::actors
