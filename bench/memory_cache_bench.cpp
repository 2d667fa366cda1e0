// The cost of a cached-token lookup: onbehalf's L1 cache against a plain locked hash map,
// measured in the same run. Run: build/bench/bench_memory_cache
#include "onbehalf/cache/memory_cache.hpp"

#include <benchmark/benchmark.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

constexpr int users = 10'000;
// A realistic entry: a key naming account, resource and scopes; a sealed access token of ~1.5 KB.
std::string key_of(int i) { return "a1a1a1a1-0000-4000-8000-" + std::to_string(100000000000 + i) + ".tenant|api://todo|access_as_user"; }
const std::string token(1500, 't');

void l1_get_hit(benchmark::State& state) {
  static onbehalf::cache::memory_cache cache;
  static bool filled = [] {
    for (int i = 0; i < users; ++i) cache.put(key_of(i), token, onbehalf::cache::clock::now() + std::chrono::hours(1));
    return true;
  }();
  (void)filled;
  std::vector<std::string> keys;
  for (int i = 0; i < users; ++i) keys.push_back(key_of(i));
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) benchmark::DoNotOptimize(cache.get(keys[i++ % users]));
}

void baseline_locked_map_get_hit(benchmark::State& state) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::string> map;
  static bool filled = [] {
    for (int i = 0; i < users; ++i) map[key_of(i)] = token;
    return true;
  }();
  (void)filled;
  std::vector<std::string> keys;
  for (int i = 0; i < users; ++i) keys.push_back(key_of(i));
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    std::lock_guard lock(mutex);
    auto it = map.find(keys[i++ % users]);
    std::string copy = it->second;
    benchmark::DoNotOptimize(copy);
  }
}

void l1_put(benchmark::State& state) {
  onbehalf::cache::memory_cache cache;
  auto expires = onbehalf::cache::clock::now() + std::chrono::hours(1);
  int i = 0;
  for (auto _ : state) cache.put(key_of(i++ % users), token, expires);
}

} // namespace

BENCHMARK(baseline_locked_map_get_hit)->Threads(1)->Threads(2);
BENCHMARK(l1_get_hit)->Threads(1)->Threads(2);
BENCHMARK(l1_put);
BENCHMARK_MAIN();
