// The session actors: one per signed-in account, keyed by home account id. Each holds the
// account's claims and its live sessions (one per browser), serialises what changes them,
// writes them through to the caches so a restart or another instance can resume, and retires
// when the account has been idle for a while.
//
// With a store other processes share (Redis), what an actor holds can go stale: a sign-out on
// another instance is announced (the account is dropped here within moments), and in case an
// announcement was lost, what an actor publishes is good for one revalidation interval only,
// after which the store is asked again. Changes to an account's sessions hold its lease, so two
// instances never overwrite each other's.
#pragma once

#include "onbehalf/cache/coordination.hpp"
#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/cache/memory_cache.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/http/principal.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace caf {
class actor_system;
}

namespace onbehalf::actors {

struct session_service_options {
  cache::memory_cache* cache = nullptr;                                // L1; must outlive the service
  cache::durable_store* store = nullptr;                               // L2 (RocksDB or Redis); none: sessions end with the process
  std::chrono::seconds absolute_lifetime{std::chrono::hours(24 * 14)}; // a session ends this long after sign-in, however active
  std::chrono::seconds actor_idle_timeout{300};                        // an account's actor retires after this long without requests
  /// Announcements and leases; with a shared one (Redis), sessions are revalidated. Must outlive the service.
  cache::coordination* coordination = nullptr;
  /// With a shared store: how long a session found in memory is believed without asking the store.
  std::chrono::seconds revalidation_interval{30};
  std::chrono::milliseconds lease_time{15'000}; // how long a change to an account holds its lease at most
};

class session_service {
public:
  using user_ptr = std::shared_ptr<const http::principal>;

  session_service(caf::actor_system& system, session_service_options options);
  ~session_service(); // asks every session actor to exit
  session_service(const session_service&) = delete;
  session_service& operator=(const session_service&) = delete;

  /// Starts a session for a user who has just signed in; `done` gets its id, once it is stored.
  void start(http::principal user, std::function<void(std::string session_id)> done);
  /// What `find` learned: the session's user; null when the session is unknown, ended or expired;
  /// an error when this instance does not hold the session and the shared store could not be
  /// read (Redis away): the session may well be live, and the user must not be signed out for it.
  using found = result<user_ptr, std::string>;

  /// Looks a session up. A session the account's actor has published is found in place and
  /// `done` runs before find returns, on the caller's thread; otherwise the actor answers, on one
  /// of its threads.
  void find(const std::string& home_account_id, std::string session_id, std::function<void(found)> done);
  /// The user of a session the account's actor has published, found in place; null when only the
  /// actor can tell (then `find` asks it). Lets a caller skip building a callback on the common path.
  user_ptr find_published(const std::string& home_account_id, std::string_view session_id);
  /// Ends every session of the account (sign-out); `done` runs once the record is gone from every
  /// level and the other instances have been told.
  void end(const std::string& home_account_id, std::function<void()> done);

  /// `changed` runs after an account's sessions changed: signed out here (once `end` is done), or
  /// announced by another instance. `missed` runs when announcements may have been lost. Either
  /// may run on any thread; `find` tells what remains. Pass empty functions to stop.
  void observe_account_changes(std::function<void(const std::string& home_account_id)> changed, std::function<void()> missed);

  /// Session actors alive now (for tests and /metrics).
  std::size_t live_actors() const;

  struct registry;

private:
  std::shared_ptr<registry> registry_;
};

} // namespace onbehalf::actors
