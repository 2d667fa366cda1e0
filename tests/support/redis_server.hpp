// A redis-server of the test's own on a free loopback port, started and stopped by the test.
#pragma once

#include "child_process.hpp"
#include "ports.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace onbehalf::testing {

using namespace std::chrono_literals;

// A redis-server of the test's own, on a free loopback port, without persistence.
class redis_server {
public:
  explicit redis_server(std::uint16_t port = free_loopback_port()) : port_(port) {
    process_ = std::make_unique<child_process>(
        std::vector<std::string>{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"},
        dir_.path("redis.log"));
    for (int i = 0; i < 100; ++i) {
      if (ping()) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL("redis-server did not start on port " << port_);
  }
  std::uint16_t port() const { return port_; }

  /// A raw command, to look at what the store wrote.
  std::string raw(std::vector<std::string> args) const {
    auto* c = redisConnect("127.0.0.1", port_);
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data()));
    std::string out;
    if (reply && reply->type == REDIS_REPLY_STRING) out.assign(reply->str, reply->len);
    if (reply && reply->type == REDIS_REPLY_INTEGER) out = std::to_string(reply->integer);
    if (reply) freeReplyObject(reply);
    redisFree(c);
    return out;
  }

private:
  bool ping() const {
    auto* c = redisConnect("127.0.0.1", port_);
    bool ok = c && !c->err;
    if (c) redisFree(c);
    return ok;
  }
  temp_dir dir_;
  std::uint16_t port_;
  std::unique_ptr<child_process> process_;
};


} // namespace onbehalf::testing
