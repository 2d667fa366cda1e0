// The level-2 token cache shared by several instances: Redis. Requests are queued to one worker
// thread that owns the connection, so no caller ever blocks on the network. While Redis is down,
// requests fail at once (the caller falls back to L1 and the authority), failures are counted,
// and the worker reconnects by itself.
#pragma once

#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/core/sealing.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace onbehalf::cache {

struct redis_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string key_prefix = "onbehalf:"; // every key this store writes starts with it
  std::chrono::milliseconds timeout{500}; // per command and per connection attempt
  std::chrono::milliseconds reconnect_interval{1000};
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

class redis_store final : public durable_store {
public:
  /// Starts the worker, which connects in the background; a Redis that is down is not an error here.
  redis_store(redis_options options, key_ring keys);
  /// Stops the worker; requests still queued are answered with an error.
  ~redis_store() override;
  redis_store(const redis_store&) = delete;
  redis_store& operator=(const redis_store&) = delete;

  /// MULTI ... EXEC: other instances see all entries or none.
  void put_all(std::vector<entry> entries, done_callback done) override;
  void get(std::string key, value_callback done) override;
  void erase(std::string key, done_callback done) override;
  void erase_prefix(std::string prefix, count_callback done) override;

  bool connected() const noexcept;
  const char* kind() const noexcept override { return "redis"; }
  std::size_t failures() const noexcept override; // requests that failed because Redis was unreachable or erred
  std::size_t unreadable_entries() const noexcept; // entries sealed with keys no longer configured, or changed

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::cache
