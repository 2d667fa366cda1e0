// What the instances of an application need from each other besides a shared store: that one of
// them at a time redeems a credential (a lease, held until the result is written), that the
// others learn when it is done, and that all of them learn when an account changes elsewhere
// (a sign-out). Redis provides it across processes; coordinate_in_process() within one.
#pragma once

#include "onbehalf/cache/durable_store.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace onbehalf::cache {

class coordination {
public:
  struct lease {
    std::string partition; // whose: an account's partition (its keys share a node in a cluster)
    std::string name;      // what for: the refresh token it redeems, the record it rewrites
    std::string owner;     // this holder, unguessable: only it can complete or release
  };
  enum class lease_state {
    acquired,       // ours until completed, released, or its time runs out
    held_elsewhere, // wait for it (on_released), then look at the store again
    unavailable,    // coordination is unreachable: go ahead alone, and say so in the log
  };
  struct lease_answer {
    lease_state state = lease_state::unavailable;
    lease held;          // when acquired
    std::string problem; // when unavailable
  };
  using lease_callback = std::function<void(lease_answer)>;

  virtual ~coordination() = default;

  // Callbacks run on the coordinator's own thread: hand the result on, do not block there.
  virtual void acquire(std::string partition, std::string name, std::chrono::milliseconds ttl, lease_callback done) = 0;
  /// Writes `entries` to the lease's partition (all or none) if the lease is still ours, then
  /// releases it and wakes those waiting. A lease that ran out meanwhile writes nothing: the
  /// answer is false, and another holder's result stands.
  virtual void complete(lease held, std::vector<durable_store::entry> entries, durable_store::done_callback done) = 0;
  /// Gives the lease up without writing, and wakes those waiting.
  virtual void release(lease held) = 0;
  /// Runs `wake` once, when that lease is completed or released here or elsewhere. A holder that
  /// dies releases nothing, so callers also look again on a timer of their own.
  virtual void on_released(std::string partition, std::string name, std::function<void()> wake) = 0;

  /// Tells the other instances that an account changed (its sessions ended, its tokens went):
  /// they drop what they hold of it in memory and read it from the store again.
  virtual void announce_account_changed(std::string home_account_id) = 0;
  /// `changed` runs for each account another instance announced; `missed` whenever
  /// announcements may have been lost (the subscription was down), so all must be looked at again.
  virtual void observe_account_changes(std::function<void(std::string home_account_id)> changed, std::function<void()> missed) = 0;

  /// True when other processes share the store, so what this one holds in memory can go stale.
  virtual bool shared() const noexcept = 0;
};

/// Leases within one process, for a store only this process uses (RocksDB) or none: grants that
/// redeem the same refresh token for two resources still go one after the other. `store` (may be
/// null) receives what complete() writes.
std::unique_ptr<coordination> coordinate_in_process(durable_store* store);

} // namespace onbehalf::cache
