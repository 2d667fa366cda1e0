// The level-1 token cache: in memory, sharded so threads rarely wait on each other, bounded by
// bytes with least-recently-used eviction, each entry expiring at its own time.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace onbehalf::cache {

using clock = std::chrono::steady_clock;

struct memory_cache_options {
  std::size_t max_bytes = 256 * 1024 * 1024; // keys, values and bookkeeping together
  std::size_t shards = 16;
  std::function<clock::time_point()> now = [] { return clock::now(); };
};

struct memory_cache_statistics {
  std::size_t entries = 0;
  std::size_t bytes = 0;
  std::size_t hits = 0;
  std::size_t misses = 0;
  std::size_t evictions = 0;
};

class memory_cache {
public:
  explicit memory_cache(memory_cache_options options = {});
  ~memory_cache();
  memory_cache(const memory_cache&) = delete;
  memory_cache& operator=(const memory_cache&) = delete;

  /// Stores (or replaces) a value until `expires`. Returns false when the entry alone is larger
  /// than a shard may hold; it is then not cached at all.
  bool put(std::string_view key, std::string value, clock::time_point expires);

  /// The value, when present and not expired; reading makes it the most recently used.
  std::optional<std::string> get(std::string_view key);
  /// get without the copy: `look` sees the value in place, under the shard's lock, so it must be
  /// quick and must not touch this cache. False when there is no live value.
  template <class Look>
  bool read(std::string_view key, Look&& look) {
    return read_in_place(
        key, [](std::string_view value, void* context) { (*static_cast<std::remove_reference_t<Look>*>(context))(value); }, &look);
  }

  void erase(std::string_view key);
  /// Removes every key that starts with `prefix` (one user's partition, at sign-out); returns how many.
  std::size_t erase_prefix(std::string_view prefix);
  /// Removes expired entries; returns how many.
  std::size_t sweep_expired();

  memory_cache_statistics statistics() const;

  /// What one entry costs beyond its key and value (list and map nodes, expiry, sizes).
  static constexpr std::size_t entry_overhead = 96;

private:
  bool read_in_place(std::string_view key, void (*look)(std::string_view, void*), void* context);
  struct shard;
  shard& shard_for(std::string_view key);
  memory_cache_options options_;
  std::unique_ptr<shard[]> shards_;
};

} // namespace onbehalf::cache
