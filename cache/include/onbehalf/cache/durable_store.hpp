// The level-2 store as the actors use it: asynchronous, so no actor thread ever waits on a disk
// or a network. RocksDB (one process) and Redis (several processes sharing users) both provide it.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/sealing.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onbehalf::cache {

class rocksdb_store;

class durable_store {
public:
  using time_point = std::chrono::system_clock::time_point;
  using value_callback = std::function<void(result<std::optional<std::string>, std::string>)>;
  using done_callback = std::function<void(result<bool, std::string>)>;
  using count_callback = std::function<void(result<std::size_t, std::string>)>;

  struct entry {
    std::string key;
    std::string value;
    time_point expires;
  };

  virtual ~durable_store() = default;

  // Every key belongs to a partition (one account's, or the app's in one tenant) and starts with
  // it: what a store keeps together, writes atomically, and removes at once.
  // Callbacks run on the store's own thread: hand the result on, do not block there.
  /// Writes all entries or none: an access token and the refresh token rotated with it never
  /// reach the store one without the other.
  virtual void put_all(std::string partition, std::vector<entry> entries, done_callback done) = 0;
  void put(std::string partition, std::string key, std::string value, time_point expires, done_callback done) {
    put_all(std::move(partition), {{std::move(key), std::move(value), expires}}, std::move(done));
  }
  /// The value; none when absent, expired or unreadable with the current keys.
  virtual void get(std::string partition, std::string key, value_callback done) = 0;
  virtual void erase(std::string partition, std::string key, done_callback done) = 0;
  /// Removes the whole partition (an account at sign-out); the answer says how many entries went.
  virtual void erase_partition(std::string partition, count_callback done) = 0;

  /// Requests that failed (store unreachable, disk error); for logs and /metrics.
  virtual std::size_t failures() const noexcept = 0;
  /// "rocksdb" or "redis", for logs and metric labels.
  virtual const char* kind() const noexcept = 0;
};

/// The application's own level-2 store (MIW's "any IDistributedCache") behind onbehalf's sealing:
/// values reach `inner` sealed with `keys` and bound to their key, so it never holds a readable
/// token. The host does this with Onbehalf:Cache:EncryptionKeys (host::use_durable_store).
std::unique_ptr<durable_store> sealed_with(key_ring keys, std::unique_ptr<durable_store> inner);

/// RocksDB behind the asynchronous interface: its calls run on one worker thread of their own.
std::unique_ptr<durable_store> run_in_background(std::unique_ptr<rocksdb_store> store);

} // namespace onbehalf::cache
