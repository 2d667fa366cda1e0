// Silent token acquisition at each cache level, as p50 and p99 of single calls, with a plain
// locked hash map measured in the same run as the baseline; and what a signed-in user costs in
// memory and on disk.
//
//   build/bench/bench_token_cache                    # all sections
//   ACCOUNTS=1000000 DATA=build/bench-data build/bench/bench_token_cache rocksdb
//
// Sections: memory (RAM per user), l1, rocksdb, redis (starts its own redis-server on loopback).
#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/cache/rocksdb_store.hpp"
#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/core/crypto.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

extern char** environ;

using namespace onbehalf;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Realistic sizes: Entra access and refresh tokens run 1.2–2 KB; an id_token has about fifteen claims.
const std::string access_token_text = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + std::string(1400, 'a') + ".signature";
const std::string refresh_token_text = std::string(1200, 'r');
const std::vector<std::string> scopes = {"api://todo/access_as_user"};

std::string account_of(std::size_t i) {
  char id[96];
  std::snprintf(id, sizeof id, "%08zx-0000-4000-8000-%012zx.72f988bf-86f1-41af-91ab-2d7cd011db47", i, i);
  return id;
}

cache::account_record typical_account(std::size_t i) {
  cache::account_record r;
  r.claims = {{"aud", "11111111-1111-1111-1111-111111111111"},
              {"iss", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"},
              {"iat", "1796040000"},
              {"nbf", "1796040000"},
              {"exp", "1796043900"},
              {"aio", "AWQAm/8XAAAAx7qz6nq0v0p3XkP1c2v3b4n5m6l7k8j9h0g1f2d3s4a5"},
              {"name", "User " + std::to_string(i)},
              {"oid", account_of(i).substr(0, 36)},
              {"preferred_username", "user" + std::to_string(i) + "@contoso.onmicrosoft.com"},
              {"rh", "0.AXEAv4j5cvGGr0GRqy180BHbRxEREREREREREREREREREREAAA."},
              {"sid", "0b2e7c1a-6f1d-4a3b-9c8d-7e6f5a4b3c2d"},
              {"sub", "Vx1eK2pQ9rT4uY7iO0pA3sD6fG8hJ1kL4zX7cV0bN3m"},
              {"tid", "72f988bf-86f1-41af-91ab-2d7cd011db47"},
              {"uti", "AbCdEfGhIjKlMnOpQrStUv"},
              {"ver", "2.0"}};
  r.sessions = {{crypto::random_token(24), std::chrono::system_clock::now() + 24h * 14}};
  return r;
}

identity::token_response sign_in_tokens() {
  identity::token_response t;
  t.access_token = secret(access_token_text);
  t.refresh_token = secret(refresh_token_text);
  t.expires_in = 3600s;
  t.scopes = scopes;
  return t;
}

struct figures {
  double p50_us = 0, p99_us = 0;
};

figures percentiles(std::vector<clock_type::duration>& samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) { return std::chrono::duration<double, std::micro>(samples[static_cast<std::size_t>(q * (samples.size() - 1))]).count(); };
  return {at(0.50), at(0.99)};
}

void print(const char* what, figures f) { std::printf("  %-62s p50 %8.2f us   p99 %8.2f us\n", what, f.p50_us, f.p99_us); }

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t folder_bytes(const std::string& path) {
  std::size_t total = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(path))
    if (f.is_regular_file()) total += f.file_size();
  return total;
}

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

key_ring bench_keys() { return *key_ring::make({{"bench", secret(std::string(32, 'k'))}}); }

// The token actors with an L1 and, optionally, an L2, in their own actor system.
struct token_runtime {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  std::unique_ptr<http::client> web = http::client::create().value();
  cache::memory_cache l1;
  std::unique_ptr<actors::token_service> tokens;

  explicit token_runtime(cache::durable_store* store = nullptr) {
    config.set("scheduler.policy", caf::atom("sharing"));
    config.set("scheduler.max-threads", std::size_t{2});
    system = std::make_unique<caf::actor_system>(config);
    actors::token_service_settings s;
    s.token_endpoint = "http://127.0.0.1:9/unused"; // every token here comes from a cache
    s.tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    s.client = {identity::client_authentication::method::client_secret_post, "bench-client", secret("unused"), nullptr};
    s.web = web.get();
    s.cache = &l1;
    s.store = store;
    tokens = std::make_unique<actors::token_service>(*system, s);
  }
  ~token_runtime() {
    tokens.reset();
    system.reset();
  }
};

// --- sections ---

void memory_section() {
  constexpr std::size_t users = 200'000;
  std::printf("memory: %zu signed-in users in the L1 cache (RSS growth / users)\n", users);
  cache::memory_cache_options o;
  o.max_bytes = 4ull << 30;
  std::vector<std::string> records;
  records.reserve(users);
  for (std::size_t i = 0; i < users; ++i) records.push_back(typical_account(i).encode());
  auto partitions = [](std::size_t i) { return cache::keys::user_partition(account_of(i)); };
  {
    auto before = resident_bytes();
    cache::memory_cache l1(o);
    for (std::size_t i = 0; i < users; ++i) l1.put(cache::keys::account(partitions(i)), records[i], cache::clock::now() + 24h);
    auto idle = resident_bytes() - before;
    std::printf("  idle user (session record only; access token expired, refresh token in L2): %6zu bytes/user\n", idle / users);
    for (std::size_t i = 0; i < users; ++i) l1.put(cache::keys::refresh_token(partitions(i)), refresh_token_text, cache::clock::now() + 24h);
    auto with_refresh = resident_bytes() - before;
    std::printf("  idle user with its 1.2 KB refresh token kept in memory too:             %6zu bytes/user\n", with_refresh / users);
    cache::access_token_records at;
    at.store({scopes, access_token_text, std::chrono::system_clock::now() + 1h, std::nullopt}, std::chrono::system_clock::now());
    auto encoded = at.encode();
    for (std::size_t i = 0; i < users; ++i) l1.put(cache::keys::access_tokens(partitions(i), "api://todo"), encoded, cache::clock::now() + 1h);
    auto active = resident_bytes() - before;
    std::printf("  active user (plus one cached 1.5 KB access token):                       %6zu bytes/user\n", active / users);
  }
}

void l1_section() {
  constexpr std::size_t users = 10'000;
  const auto samples = static_cast<std::size_t>(std::stoull(env_or("SAMPLES", "1000000")));
  std::printf("l1: silent acquisition of a cached user token, %zu users, %zu calls\n", users, samples);
  token_runtime rt;
  std::vector<std::string> accounts;
  for (std::size_t i = 0; i < users; ++i) {
    accounts.push_back(account_of(i));
    rt.tokens->accept_sign_in_tokens(accounts.back(), scopes, sign_in_tokens());
  }
  std::mutex mutex;
  std::unordered_map<std::string, std::string> baseline;
  for (const auto& a : accounts) baseline[cache::keys::access_tokens(cache::keys::user_partition(a), "api://todo")] = access_token_text;
  std::vector<std::string> baseline_keys;
  for (const auto& a : accounts) baseline_keys.push_back(cache::keys::access_tokens(cache::keys::user_partition(a), "api://todo"));

  std::mt19937 random(42);
  std::vector<clock_type::duration> base(samples), ours(samples);
  std::size_t sink = 0;
  for (std::size_t s = 0; s < samples; ++s) {
    const auto& key = baseline_keys[random() % users];
    auto t0 = clock_type::now();
    {
      std::lock_guard lock(mutex);
      std::string copy = baseline.find(key)->second;
      sink += copy.size();
    }
    base[s] = clock_type::now() - t0;
  }
  std::size_t hits = 0;
  for (std::size_t s = 0; s < samples; ++s) {
    const auto& account = accounts[random() % users];
    auto t0 = clock_type::now();
    rt.tokens->acquire_token_for_user(account, scopes, [&hits](actors::token_service_outcome o) { hits += o.has_value(); });
    ours[s] = clock_type::now() - t0;
  }
  if (hits != samples) std::printf("  (only %zu of %zu calls found their token)\n", hits, samples);
  print("baseline: locked unordered_map, token copied out", percentiles(base));
  print("onbehalf: acquire_token_for_user answered from L1", percentiles(ours));
  if (sink == 0) std::printf(" ");
}

// Writes ACCOUNTS signed-in accounts (access tokens and refresh token) into a RocksDB folder once.
std::string generated_rocksdb(std::size_t accounts) {
  auto folder = env_or("DATA", "build/bench-data") + "/rocksdb-" + std::to_string(accounts);
  if (std::filesystem::exists(folder + "/complete")) return folder;
  std::filesystem::remove_all(folder);
  std::printf("  generating %zu accounts in %s (once; kept for later runs)...\n", accounts, folder.c_str());
  std::fflush(stdout);
  auto store = cache::rocksdb_store::open(folder, bench_keys()).value();
  cache::access_token_records at;
  auto now = std::chrono::system_clock::now();
  at.store({scopes, access_token_text, now + 24h * 365, std::nullopt}, now);
  auto encoded = at.encode();
  std::vector<cache::durable_store::entry> batch;
  for (std::size_t i = 0; i < accounts; ++i) {
    auto partition = cache::keys::user_partition(account_of(i));
    batch.push_back({cache::keys::access_tokens(partition, "api://todo"), encoded, now + 24h * 365});
    batch.push_back({cache::keys::refresh_token(partition), refresh_token_text, now + 24h * 365});
    if (batch.size() >= 2000) {
      (void)store->put_all(batch);
      batch.clear();
    }
  }
  (void)store->put_all(batch);
  store->compact();
  std::ofstream(folder + "/complete") << accounts << '\n';
  return folder;
}

void rocksdb_section() {
  auto accounts = static_cast<std::size_t>(std::stoull(env_or("ACCOUNTS", "1000000")));
  std::printf("rocksdb: %zu accounts on disk\n", accounts);
  auto folder = generated_rocksdb(accounts);
  std::printf("  disk: %.0f bytes per account (access token record and refresh token, sealed)\n", double(folder_bytes(folder)) / double(accounts));
  std::mt19937 random(7);
  {
    auto store = cache::rocksdb_store::open(folder, bench_keys()).value();
    constexpr std::size_t samples = 100'000;
    std::vector<clock_type::duration> reads(samples);
    std::size_t found = 0;
    for (std::size_t s = 0; s < samples; ++s) {
      auto key = cache::keys::access_tokens(cache::keys::user_partition(account_of(random() % accounts)), "api://todo");
      auto t0 = clock_type::now();
      auto value = store->get(key);
      if (value && *value) found += cache::access_token_records::decode(**value)->best_for(scopes, std::chrono::system_clock::now()) != nullptr;
      reads[s] = clock_type::now() - t0;
    }
    if (found != samples) std::printf("  (only %zu of %zu reads found their token)\n", found, samples);
    print("RocksDB read of a random account's tokens (opened, decoded)", percentiles(reads));
  }
  {
    auto opened = cache::rocksdb_store::open(folder, bench_keys());
    auto store = cache::run_in_background(std::move(*opened));
    token_runtime rt(store.get());
    constexpr std::size_t samples = 20'000;
    std::vector<clock_type::duration> calls(samples);
    std::size_t hits = 0;
    for (std::size_t s = 0; s < samples; ++s) {
      auto account = account_of(random() % accounts);
      std::promise<bool> done;
      auto t0 = clock_type::now();
      rt.tokens->acquire_token_for_user(account, scopes, [&done](actors::token_service_outcome o) { done.set_value(o.has_value()); });
      hits += done.get_future().get();
      calls[s] = clock_type::now() - t0;
    }
    if (hits != samples) std::printf("  (only %zu of %zu calls found their token)\n", hits, samples);
    print("acquire_token_for_user on an L1 miss, served from RocksDB", percentiles(calls));
  }
}

// A redis-server of this benchmark's own on a free port; ended by its PID.
struct redis_process {
  pid_t pid = -1;
  std::uint16_t port = 0;
  redis_process() {
    port = static_cast<std::uint16_t>(20000 + getpid() % 20000);
    std::string p = std::to_string(port);
    const char* argv[] = {"redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", nullptr};
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    posix_spawnp(&pid, "redis-server", &files, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&files);
    std::this_thread::sleep_for(300ms);
  }
  ~redis_process() {
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
};

void redis_section() {
  constexpr std::size_t accounts = 100'000;
  std::printf("redis: %zu accounts in a local redis-server\n", accounts);
  redis_process server;
  cache::redis_options o;
  o.connection.endpoints = {{"127.0.0.1", server.port}};
  auto opened = cache::redis_store::open(o, bench_keys());
  if (!opened) {
    std::printf("  cannot open the store: %s\n", opened.error().c_str());
    return;
  }
  auto& store = **opened;
  cache::access_token_records at;
  auto now = std::chrono::system_clock::now();
  at.store({scopes, access_token_text, now + 24h, std::nullopt}, now);
  auto encoded = at.encode();
  std::atomic<std::size_t> written{0};
  for (std::size_t i = 0; i < accounts; ++i) {
    auto partition = cache::keys::user_partition(account_of(i));
    store.put(partition, cache::keys::access_tokens(partition, "api://todo"), encoded, now + 24h,
              [&written](result<bool, std::string>) { ++written; });
  }
  while (written.load() < accounts) std::this_thread::sleep_for(10ms);
  std::mt19937 random(11);
  constexpr std::size_t samples = 20'000;
  std::vector<clock_type::duration> reads(samples);
  std::size_t found = 0;
  for (std::size_t s = 0; s < samples; ++s) {
    auto partition = cache::keys::user_partition(account_of(random() % accounts));
    auto key = cache::keys::access_tokens(partition, "api://todo");
    std::promise<bool> done;
    auto t0 = clock_type::now();
    store.get(partition, key, [&done](result<std::optional<std::string>, std::string> r) {
      done.set_value(r && *r && cache::access_token_records::decode(**r).has_value());
    });
    found += done.get_future().get();
    reads[s] = clock_type::now() - t0;
  }
  if (found != samples) std::printf("  (only %zu of %zu reads found their token)\n", found, samples);
  print("Redis read of a random account's tokens (opened, decoded)", percentiles(reads));
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> wanted(argv + 1, argv + argc);
  auto run = [&](const char* name) { return wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end(); };
  if (run("memory")) memory_section(); // first, while the heap is fresh
  if (run("l1")) l1_section();
  if (run("rocksdb")) rocksdb_section();
  if (run("redis")) redis_section();
  return 0;
}
