// The level-2 token cache shared by several instances, and what keeps them one: Redis.
//
// Layout: one hash per partition, "{prefix}{{partition}}", its fields the partition's keys, so an
// account's entries live together, are written atomically (one script), and go with one DEL at
// sign-out — no scans, whatever the size of the key space. The braces are a Redis Cluster hash
// tag: an account's hash and its leases share a slot, so the scripts that touch both work on a
// cluster. Values are sealed (AES-256-GCM, the configured key ring) and bound to their key.
//
// Leases are "SET {prefix}{{partition}}:lease:{name} owner NX PX ttl", completed by a script that
// writes the result only while the owner still holds the lease and then deletes it, and released
// by compare-and-delete. Completions and account changes are published on "{prefix}events".
#pragma once

#include "onbehalf/cache/coordination.hpp"
#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/core/sealing.hpp"
#include "onbehalf/redis/client.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace onbehalf::cache {

struct redis_options {
  redis::client_options connection;
  std::string key_prefix = "onbehalf:"; // every key, and the events channel, start with it: one per application
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

class redis_store final : public durable_store, public coordination {
public:
  /// Starts connecting in the background: a Redis that is down is not an error here; settings
  /// that cannot work are (a CA bundle that cannot be read, braces in the key prefix).
  static result<std::unique_ptr<redis_store>, std::string> open(redis_options options, key_ring keys);
  ~redis_store() override;
  redis_store(const redis_store&) = delete;
  redis_store& operator=(const redis_store&) = delete;

  void put_all(std::string partition, std::vector<entry> entries, done_callback done) override;
  void get(std::string partition, std::string key, value_callback done) override;
  void erase(std::string partition, std::string key, done_callback done) override;
  void erase_partition(std::string partition, count_callback done) override;
  std::size_t failures() const noexcept override;
  const char* kind() const noexcept override { return "redis"; }

  void acquire(std::string partition, std::string name, std::chrono::milliseconds ttl, lease_callback done) override;
  void complete(lease held, std::vector<entry> entries, done_callback done) override;
  void release(lease held) override;
  void on_released(std::string partition, std::string name, std::function<void()> wake) override;
  void announce_account_changed(std::string home_account_id) override;
  void observe_account_changes(std::function<void(std::string)> changed, std::function<void()> missed) override;
  bool shared() const noexcept override { return true; }

  redis::health health() const;
  redis::statistics statistics() const; // the client's: commands, failures, connections, redirections
  /// For start-up: waits until the first connection is made or refused (see redis::client).
  redis::health wait_for_first_contact(std::chrono::milliseconds limit) const;
  bool connected() const noexcept;
  std::size_t unreadable_entries() const noexcept;  // sealed with keys no longer configured, or changed
  std::size_t unreadable_messages() const noexcept; // announcements that did not open with our keys

  /// The names this store gives things in Redis (for tests and operators).
  std::string hash_key(std::string_view partition) const;
  std::string lease_key(std::string_view partition, std::string_view name) const;
  std::string events_channel() const;

private:
  redis_store() = default;
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace onbehalf::cache
