// The level-2 token cache on disk: a RocksDB directory that survives restarts and crashes.
// Every value is sealed (AES-256-GCM, the configured key ring) and bound to its key; expired
// entries are never returned and are dropped when RocksDB compacts.
#pragma once

#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/core/sealing.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::cache {

class rocksdb_store {
public:
  using time_point = std::chrono::system_clock::time_point;

  /// Opens (creating folders as needed) the store at `path`. Errors say what to fix: a path that
  /// is not a folder, a folder another process has open, a damaged database.
  static result<std::unique_ptr<rocksdb_store>, std::string> open(
      const std::string& path, key_ring keys, std::function<time_point()> now = [] { return std::chrono::system_clock::now(); });
  ~rocksdb_store();
  rocksdb_store(const rocksdb_store&) = delete;
  rocksdb_store& operator=(const rocksdb_store&) = delete;

  result<bool, std::string> put(std::string_view key, std::string_view value, time_point expires);
  /// One atomic write (a RocksDB WriteBatch): after a crash either every entry is there or none.
  result<bool, std::string> put_all(const std::vector<durable_store::entry>& entries);
  /// The value; none when absent, expired, or unreadable with the current keys (counted in statistics).
  result<std::optional<std::string>, std::string> get(std::string_view key);
  result<bool, std::string> erase(std::string_view key);
  /// Removes every key starting with `prefix` (a user's partition at sign-out); returns how many.
  result<std::size_t, std::string> erase_prefix(std::string_view prefix);
  /// Compacts the whole store now, dropping expired entries (RocksDB also does this on its own).
  void compact();

  /// Entries that could not be opened: sealed with a key no longer configured, or changed on disk.
  std::size_t unreadable_entries() const noexcept;

private:
  rocksdb_store() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::cache
