// A redis-server of the test's own on a free loopback port, started and stopped by the test: plain
// or with a password, ACL users, TLS (client certificates optional), persistence, or as a cluster
// node; it can be paused, stopped, crashed and restarted on the same port and directory.
#pragma once

#include "child_process.hpp"
#include "ports.hpp"
#include "redis_connection.hpp"
#include "redis_tls_files.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace onbehalf::testing {

using namespace std::chrono_literals;

/// How a `redis_server` runs; every field has the default of a plain, throwaway server, so
/// `redis_server({.password = "s3cret"})` or `redis_server({.tls = true, .tls_client_certificates = true})`
/// say only what differs (designated initializers must keep this order). The `{}` on class-typed
/// fields keeps GCC's -Wextra from warning about the fields such an initializer leaves out.
struct redis_server_options {
  std::uint16_t port = 0;                             // 0: a free loopback port
  std::string password{};                             // requirepass: the default user's password
  std::vector<std::string> acl_users{};               // one ACL user each, as in redis.conf after "user": "app on >app-secret ~onbehalf:* &* +@all"
  bool tls = false;                                   // TLS only: the plain port is off
  bool tls_client_certificates = false;               // tls-auth-clients yes: a client without a certificate from `ca` is refused
  std::shared_ptr<const redis_tls_files> tls_files{}; // the certificates to serve; a fresh set when null
  bool persistent = false;                            // an append-only file in the server's directory: restart() keeps the data
  bool cluster = false;                               // cluster-enabled, on a bus port of its own; formed by redis_cluster
  std::vector<std::string> extra_config{};            // more redis.conf lines, such as "maxmemory 1mb"
};

class redis_server {
public:
  redis_server() : redis_server(redis_server_options{}) {}
  explicit redis_server(std::uint16_t port) : redis_server(redis_server_options{.port = port}) {}
  explicit redis_server(redis_server_options options) : options_(std::move(options)) {
    port_ = options_.port ? options_.port : free_loopback_port();
    if (options_.cluster) cluster_bus_port_ = free_loopback_port(); // not port + 10000, which may pass 65535
    if (options_.tls && !options_.tls_files) options_.tls_files = std::make_shared<redis_tls_files>();
    // ACL rules may switch the default user off; the fixture then comes in as a user of its own.
    if (!options_.acl_users.empty()) fixture_password_ = random_password();
    write_config();
    start();
  }
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const { return port_; }
  /// The cluster bus port (cluster nodes only), for CLUSTER MEET.
  std::uint16_t cluster_bus_port() const { return cluster_bus_port_; }
  /// The server process, or -1 while stopped.
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  const redis_server_options& options() const { return options_; }
  /// The certificates a TLS server serves: `ca` verifies it, `client_certificate` gets a client in.
  const redis_tls_files& tls_files() const {
    if (!options_.tls_files) throw std::logic_error("tls_files() of a redis_server without TLS");
    return *options_.tls_files;
  }
  /// How the fixture itself gets in (its own ACL user when there are ACL users).
  redis_endpoint endpoint() const {
    const redis_tls_files* tls = options_.tls ? options_.tls_files.get() : nullptr;
    if (!fixture_password_.empty()) return {port_, fixture_user, fixture_password_, tls};
    return {port_, "", options_.password, tls};
  }

  /// A raw command, to look at what the store wrote: the string, or an integer in decimal;
  /// empty for anything else (nil, status, error, no answer). Authenticates and speaks TLS as needed.
  std::string raw(std::vector<std::string> args) const {
    auto reply = command(args);
    bool text = reply.type == redis_reply::kind::string || reply.type == redis_reply::kind::integer;
    return text ? reply.text : std::string();
  }
  /// A command with its whole reply, errors (MOVED, ASK, NOAUTH…) included.
  redis_reply command(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 5s) const {
    return commands({args}, timeout).front();
  }
  /// Commands one after the other on one connection (ASKING then GET, MULTI … EXEC).
  std::vector<redis_reply> commands(const std::vector<std::vector<std::string>>& list, std::chrono::milliseconds timeout = 5s) const {
    redis_connection connection(endpoint(), timeout);
    count_fixture_auth(connection);
    std::vector<redis_reply> replies;
    for (const auto& args : list) replies.push_back(connection.command(args));
    return replies;
  }

  /// True when the server answers PING within `timeout`. (Not counted by command_calls.)
  bool ping(std::chrono::milliseconds timeout = 1s) const {
    redis_connection connection(endpoint(), timeout);
    count_fixture_auth(connection);
    bool pong = connection.command({"PING"}).text == "PONG";
    if (pong) count_fixture_call("ping");
    return pong;
  }

  /// How many times the server ran the command `name` ("scan", "get", "cluster|info") since it
  /// last started, from INFO commandstats; the fixture's own PINGs, AUTHs and INFOs left out.
  /// Commands refused before running (NOAUTH, NOPERM, MOVED) are not calls; a command sent to a
  /// paused server is, once it resumes, even when its sender gave up waiting.
  long long command_calls(std::string name) const {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto calls = command_stats();
    auto it = calls.find(name);
    return it == calls.end() ? 0 : it->second;
  }

  /// command_calls of every command the server has run since it last started, by name.
  std::map<std::string, long long> command_stats() const {
    auto reply = command({"INFO", "commandstats"});
    if (reply.type != redis_reply::kind::string) FAIL("INFO commandstats on port " << port_ << " failed: " << reply.text);
    count_fixture_call("info");
    std::map<std::string, long long> calls;
    std::istringstream lines(reply.text);
    static const std::string prefix = "cmdstat_", count = ":calls=";
    for (std::string line; std::getline(lines, line);) {
      auto at = line.find(count);
      if (line.rfind(prefix, 0) != 0 || at == std::string::npos) continue;
      calls[line.substr(prefix.size(), at - prefix.size())] = std::stoll(line.substr(at + count.size()));
    }
    std::lock_guard lock(fixture_calls_mutex_);
    for (auto& [name, n] : calls) n = std::max(0LL, n - fixture_calls_[name]);
    return calls;
  }

  /// SIGSTOP: the server keeps its sockets (connections still open, new ones still accepted by
  /// the kernel) but answers nothing; what is sent meanwhile runs after resume().
  void pause() {
    if (process_) process_->pause();
  }
  /// SIGCONT, then back once the server answers PING again.
  void resume() {
    if (!process_) return;
    process_->resume();
    wait_until_ready();
  }

  /// Shuts the server down (SIGTERM: a persistent server writes its data) and waits for it to end.
  void stop() { process_.reset(); }
  /// Kills the server (SIGKILL), as a crash would: no shutdown, nothing written on the way out.
  void crash() {
    if (process_) process_->stop(SIGKILL);
    process_.reset();
  }
  /// Starts the server (again) on the same port, directory and configuration, back once it answers PING.
  void start() {
    if (process_) return;
    {
      std::lock_guard lock(fixture_calls_mutex_);
      fixture_calls_.clear(); // a new process counts from zero
    }
    // SIGKILL if the test process dies: a paused server would keep a SIGTERM pending forever.
    process_ = std::make_unique<child_process>(std::vector<std::string>{"redis-server", dir_.path("redis.conf")}, dir_.path("redis.log"), SIGKILL);
    wait_until_ready();
  }
  void restart() {
    stop();
    start();
  }

  /// The last lines of the server's log, for failure messages.
  std::string log_tail(std::size_t count = 20) const {
    std::ifstream log(dir_.path("redis.log"));
    std::deque<std::string> lines;
    for (std::string line; std::getline(log, line);) {
      lines.push_back(line);
      if (lines.size() > count) lines.pop_front();
    }
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }

  /// The ACL user the fixture adds for itself when there are ACL users.
  static constexpr const char* fixture_user = "onbehalf-fixture";

private:
  void wait_until_ready() {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_->running()) {
        process_.reset(); // stopped, as pid() will say
        FAIL("redis-server on port " << port_ << " exited while starting; its log ends:\n" << log_tail());
      }
      if (answers_as_itself()) return;
      std::this_thread::sleep_for(10ms); // between polls, not instead of them
    }
    FAIL("redis-server on port " << port_ << " did not answer PING within 5 s; its log ends:\n" << log_tail());
  }

  // PING, and then this process's id in INFO: the answer must come from this server, not from
  // another one that holds the port (this one then exits, unable to listen, and says so in its log).
  bool answers_as_itself() const {
    redis_connection connection(endpoint(), 200ms);
    count_fixture_auth(connection);
    if (connection.command({"PING"}).text != "PONG") return false; // not yet listening, or still loading its data
    count_fixture_call("ping");
    auto info = connection.command({"INFO", "server"});
    if (info.type != redis_reply::kind::string) return false;
    count_fixture_call("info");
    return info.text.find("process_id:" + std::to_string(pid()) + "\r\n") != std::string::npos;
  }

  void write_config() const {
    std::ofstream conf(dir_.path("redis.conf"));
    conf << "bind 127.0.0.1\n"
         << "dir " << quoted(dir_.path("")) << "\n"
         << "daemonize no\n"
         << "logfile \"\"\n"
         << "save \"\"\n";
    if (options_.tls) {
      const auto& files = *options_.tls_files;
      conf << "port 0\n"
           << "tls-port " << port_ << "\n"
           << "tls-cert-file " << quoted(files.server_certificate) << "\n"
           << "tls-key-file " << quoted(files.server_key) << "\n"
           << "tls-ca-cert-file " << quoted(files.ca) << "\n"
           << "tls-auth-clients " << (options_.tls_client_certificates ? "yes" : "no") << "\n";
    } else {
      conf << "port " << port_ << "\n";
    }
    // A reply goes out only after its write reached the append-only file (not necessarily the
    // disk), so a restart after stop() or crash() finds every acknowledged write.
    conf << "appendonly " << (options_.persistent ? "yes" : "no") << "\n";
    if (!options_.password.empty()) conf << "requirepass " << quoted(options_.password) << "\n";
    if (!fixture_password_.empty()) conf << "user " << fixture_user << " on >" << fixture_password_ << " ~* &* +@all\n";
    for (const auto& rules : options_.acl_users) conf << "user " << rules << "\n";
    if (options_.cluster) {
      conf << "cluster-enabled yes\n"
           << "cluster-config-file nodes.conf\n" // in `dir`: a restarted node rejoins as itself
           << "cluster-node-timeout 2000\n"
           << "cluster-port " << cluster_bus_port_ << "\n";
    }
    for (const auto& line : options_.extra_config) conf << line << "\n";
  }

  static std::string quoted(const std::string& value) {
    std::string out = "\"";
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }

  static std::string random_password() {
    std::random_device random;
    std::string out;
    for (int i = 0; i < 32; ++i) out += "0123456789abcdef"[random() % 16];
    return out;
  }

  // What the fixture sent on its own initiative, taken off command_calls.
  void count_fixture_call(const std::string& name) const {
    std::lock_guard lock(fixture_calls_mutex_);
    ++fixture_calls_[name];
  }
  void count_fixture_auth(const redis_connection& connection) const {
    if (connection.authenticated()) count_fixture_call("auth");
  }

  redis_server_options options_;
  std::uint16_t port_ = 0;
  std::uint16_t cluster_bus_port_ = 0;
  std::string fixture_password_;
  mutable std::mutex fixture_calls_mutex_;
  mutable std::map<std::string, long long> fixture_calls_;
  temp_dir dir_;
  std::unique_ptr<child_process> process_; // last: the server stops before its directory goes
};

} // namespace onbehalf::testing
