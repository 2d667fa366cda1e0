// Several instances of one web app as production runs them: separate onbehalf-test-instance
// processes (tests/instances/instance_app.cpp) with the same configuration — Redis cache, the
// same cache and cookie keys — behind which a user's requests land on any of them.
#pragma once

#include "child_process.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace onbehalf::testing {

/// What the instances' shared appsettings.json says.
struct instance_settings {
  std::string authority; // AzureAd:Authority (an issuer URL)
  std::string client_id;
  std::string client_secret;
  std::string audience; // AzureAd:Audience, for an instance that is a web API
  /// Asked for at sign-in (so sign-in leaves a token for them) and by GET /token.
  std::vector<std::string> scopes;
  std::string prompt; // Onbehalf:SignIn:Prompt; "consent" for providers that issue refresh tokens only then
  std::uint16_t redis_port = 6379;
  std::chrono::seconds refresh_margin{300};
  // Keys of the shared-cache fix (lease, revalidation); unknown keys only warn before it lands.
  std::string redis_key_prefix = "onbehalf:";
  std::chrono::seconds lease{15};
  std::chrono::seconds revalidation_interval{30};
};

namespace detail {

inline std::string json_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& v : values) out += (out.size() > 1 ? ", \"" : "\"") + v + "\"";
  return out + "]";
}

} // namespace detail

/// The configuration file every instance reads; writes it into `dir`.
inline std::string write_instance_config(const temp_dir& dir, const instance_settings& s) {
  auto seconds = [](std::chrono::seconds n) { return std::to_string(n.count()); };
  return dir.write("appsettings.json", R"({
  "AzureAd": {
    "Authority": ")" + s.authority + R"(",
    "ClientId": ")" + s.client_id + R"(",)" +
                                           (s.audience.empty() ? "" : R"(
    "Audience": ")" + s.audience + R"(",)") +
                                           R"(
    "ClientCredentials": [ { "SourceType": "ClientSecret", "ClientSecret": ")" +
                                           s.client_secret + R"(" } ]
  },
  "TestInstance": { "Scopes": )" + detail::json_list(s.scopes) +
                                           R"( },
  "Onbehalf": {
    "ListenAddress": "127.0.0.1",
    "IoThreads": 2,
    "ActorThreads": 2,
    "LogLevel": "warning",
    "TokenRefreshMarginSeconds": )" + seconds(s.refresh_margin) +
                                           R"(,
    "Cache": {
      "Backend": "Redis",
      "EncryptionKeys": [ { "Id": "cache-1", "Key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" } ]
    },
    "Redis": {
      "Host": "127.0.0.1",
      "Port": )" + std::to_string(s.redis_port) +
                                           R"(,
      "KeyPrefix": ")" + s.redis_key_prefix +
                                           R"(",
      "LeaseSeconds": )" + seconds(s.lease) +
                                           R"(
    },
    "SignIn": {
      "InitialScopes": )" + detail::json_list(s.scopes) +
                                           R"(,
      "Prompt": ")" + s.prompt + R"(",
      "RevalidationIntervalSeconds": )" + seconds(s.revalidation_interval) +
                                           R"(,
      "CookieEncryptionKeys": [ { "Id": "cookie-1", "Key": "Y29va2llLWtleS1zaGFyZWQtYnktZXZlcnktaW5zdCE=" } ]
    }
  }
})");
}

/// One running instance. It listens on `port` (0: any free one) and is stopped with SIGTERM when
/// this ends; `overrides` are environment settings for this instance only ("Onbehalf__LogLevel=debug").
class instance_process {
public:
  instance_process(const std::string& program, const std::string& config_path, std::string name, std::uint16_t port = 0,
                   std::vector<std::string> overrides = {})
      : name_(std::move(name)) {
    auto port_file = dir_.path("port");
    std::vector<std::string> command{"env", "Onbehalf__Port=" + std::to_string(port)};
    command.insert(command.end(), overrides.begin(), overrides.end());
    command.insert(command.end(), {program, "--config", config_path, "--port-file", port_file});
    process_ = std::make_unique<child_process>(command, dir_.path("instance.log"));
    using namespace std::chrono_literals;
    for (auto give_up = std::chrono::steady_clock::now() + 15s; std::chrono::steady_clock::now() < give_up && process_->running();) {
      if (std::ifstream in(port_file); in >> port_) return;
      std::this_thread::sleep_for(20ms);
    }
    FAIL("instance " << name_ << " did not start listening:\n" << log());
  }

  const std::string& name() const { return name_; }
  std::uint16_t port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string url(const std::string& path) const { return origin() + path; }
  bool running() { return process_->running(); }

  /// Everything it logged so far (warnings and errors), for a failing test's message.
  std::string log() const {
    std::ifstream in(dir_.path("instance.log"));
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  /// Its log in brief, for a failing test's message: each distinct line once with how often it
  /// came, leaving out what differs between repeats (time, correlation and trace ids).
  std::string log_digest() const {
    static const std::regex varying(R"re(^\S+Z |cid="[^"]*" |Trace ID: [^)"]*)re");
    std::map<std::string, std::size_t> counts;
    std::vector<std::string> order;
    std::istringstream in(log());
    for (std::string line; std::getline(in, line);) {
      auto kept = std::regex_replace(line, varying, "");
      if (counts[kept]++ == 0) order.push_back(kept);
    }
    std::string out;
    for (const auto& line : order) out += (counts[line] > 1 ? std::to_string(counts[line]) + "× " : "") + line + "\n";
    return out;
  }

  /// Stops it gracefully and waits; its exit code.
  int stop() {
    process_->send_signal(SIGTERM);
    return process_->wait_for_exit();
  }
  /// Kills it at once, as a crash or the OOM killer would: nothing it held is released.
  void kill_abruptly() {
    process_->send_signal(SIGKILL);
    process_->wait_for_exit();
  }

private:
  temp_dir dir_;
  std::string name_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> process_;
};

} // namespace onbehalf::testing
