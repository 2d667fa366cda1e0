#include "onbehalf/cache/memory_cache.hpp"

#include <algorithm>
#include <list>
#include <mutex>
#include <unordered_map>

namespace onbehalf::cache {

namespace {

struct entry {
  std::string key;
  std::string value;
  clock::time_point expires;
  std::size_t cost() const { return key.size() + value.size() + memory_cache::entry_overhead; }
};

// Lets the map be searched with a string_view without building a std::string per lookup.
// Not noexcept on purpose: libstdc++ then keeps each key's hash in its node, so a lookup does
// not hash the other keys of its bucket again (keys are ~70 bytes; perf showed that hashing).
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

} // namespace

struct memory_cache::shard {
  std::mutex mutex;
  std::list<entry> recency; // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator, string_hash, std::equal_to<>> index;
  std::size_t bytes = 0;
  std::size_t budget = 0;
  std::size_t hits = 0, misses = 0, evictions = 0;

  void remove(std::list<entry>::iterator it) {
    bytes -= it->cost();
    index.erase(it->key);
    recency.erase(it);
  }
};

memory_cache::memory_cache(memory_cache_options options)
    : options_(std::move(options)), shards_(std::make_unique<shard[]>(std::max<std::size_t>(1, options_.shards))) {
  options_.shards = std::max<std::size_t>(1, options_.shards);
  for (std::size_t i = 0; i < options_.shards; ++i) shards_[i].budget = options_.max_bytes / options_.shards;
}

memory_cache::~memory_cache() = default;

memory_cache::shard& memory_cache::shard_for(std::string_view key) { return shards_[std::hash<std::string_view>{}(key) % options_.shards]; }

bool memory_cache::put(std::string_view key, std::string value, clock::time_point expires) {
  auto& s = shard_for(key);
  entry e{std::string(key), std::move(value), expires};
  if (e.cost() > s.budget) return false;
  std::lock_guard lock(s.mutex);
  if (auto it = s.index.find(key); it != s.index.end()) s.remove(it->second);
  s.bytes += e.cost();
  s.recency.push_front(std::move(e));
  s.index.emplace(s.recency.front().key, s.recency.begin());
  while (s.bytes > s.budget) {
    s.remove(std::prev(s.recency.end()));
    ++s.evictions;
  }
  return true;
}

std::optional<std::string> memory_cache::get(std::string_view key) {
  std::optional<std::string> out;
  read(key, [&out](std::string_view value) { out.emplace(value); });
  return out;
}

bool memory_cache::read_in_place(std::string_view key, void (*look)(std::string_view, void*), void* context) {
  auto& s = shard_for(key);
  auto now = options_.now();
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it == s.index.end() || it->second->expires <= now) {
    if (it != s.index.end()) s.remove(it->second);
    ++s.misses;
    return false;
  }
  s.recency.splice(s.recency.begin(), s.recency, it->second);
  ++s.hits;
  look(it->second->value, context);
  return true;
}

void memory_cache::erase(std::string_view key) {
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  if (auto it = s.index.find(key); it != s.index.end()) s.remove(it->second);
}

std::size_t memory_cache::erase_prefix(std::string_view prefix) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < options_.shards; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock(s.mutex);
    for (auto it = s.recency.begin(); it != s.recency.end();) {
      auto next = std::next(it);
      if (it->key.starts_with(prefix)) {
        s.remove(it);
        ++removed;
      }
      it = next;
    }
  }
  return removed;
}

std::size_t memory_cache::sweep_expired() {
  std::size_t removed = 0;
  auto now = options_.now();
  for (std::size_t i = 0; i < options_.shards; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock(s.mutex);
    for (auto it = s.recency.begin(); it != s.recency.end();) {
      auto next = std::next(it);
      if (it->expires <= now) {
        s.remove(it);
        ++removed;
      }
      it = next;
    }
  }
  return removed;
}

memory_cache_statistics memory_cache::statistics() const {
  memory_cache_statistics total;
  for (std::size_t i = 0; i < options_.shards; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock(s.mutex);
    total.entries += s.index.size();
    total.bytes += s.bytes;
    total.hits += s.hits;
    total.misses += s.misses;
    total.evictions += s.evictions;
  }
  return total;
}

} // namespace onbehalf::cache
