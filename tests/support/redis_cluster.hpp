// A Redis Cluster of the test's own: N masters on free loopback ports, no replicas, formed with
// `redis-cli --cluster create`; and resharding by hand, completed (clients then get -MOVED) or
// left half-way (clients then get -ASK for the keys already moved).
#pragma once

#include "redis_server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace onbehalf::testing {

struct redis_cluster_options {
  std::size_t masters = 3; // redis-cli --cluster create needs at least 3
  std::string password{};  // requirepass on every node (MIGRATE passes it on)
};

class redis_cluster {
public:
  static constexpr int slot_count = 16384;

  redis_cluster() : redis_cluster(redis_cluster_options{}) {}
  explicit redis_cluster(redis_cluster_options options) : options_(std::move(options)) {
    if (options_.masters < 3) FAIL("redis_cluster needs at least 3 masters (redis-cli --cluster create refuses fewer)");
    for (std::size_t i = 0; i < options_.masters; ++i)
      nodes_.push_back(std::make_unique<redis_server>(redis_server_options{.password = options_.password, .cluster = true}));
    create();
    wait_until_consistent();
  }

  std::vector<std::uint16_t> ports() const {
    std::vector<std::uint16_t> out;
    for (const auto& n : nodes_) out.push_back(n->port());
    return out;
  }
  /// The node on `port`, to pause, stop, crash or restart it (a restarted node rejoins as itself).
  redis_server& node(std::uint16_t port) const {
    for (const auto& n : nodes_)
      if (n->port() == port) return *n;
    throw std::invalid_argument("no node of this cluster on port " + std::to_string(port));
  }
  std::string node_id(std::uint16_t port) const {
    auto id = node(port).command({"CLUSTER", "MYID"});
    if (id.type != redis_reply::kind::string) FAIL("CLUSTER MYID on port " << port << " failed: " << id.text);
    return id.text;
  }

  /// The hash slot of `key`: CRC16 (XMODEM) of its hash tag — what is between the first `{` and
  /// the next `}`, when not empty — or else of the whole key, modulo 16384.
  static int slot_of(std::string_view key) {
    if (auto open = key.find('{'); open != std::string_view::npos) {
      auto close = key.find('}', open + 1);
      if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
    }
    std::uint16_t crc = 0;
    for (unsigned char byte : key) {
      crc ^= static_cast<std::uint16_t>(byte << 8);
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021) : static_cast<std::uint16_t>(crc << 1);
    }
    return crc % slot_count;
  }

  /// Who owns each slot, as the first live node sees it (0: nobody).
  std::vector<std::uint16_t> slot_owners() const { return owners_seen_by(first_live_node()); }
  std::uint16_t port_owning_slot(int slot) const { return slot_owners().at(static_cast<std::size_t>(slot)); }
  /// A key `prefix` + a number whose slot `port` owns: a key "on node 2" for a test.
  std::string key_owned_by(std::uint16_t port, const std::string& prefix = "key:") const {
    auto owners = slot_owners();
    for (int i = 0;; ++i) {
      auto key = prefix + std::to_string(i);
      if (owners[static_cast<std::size_t>(slot_of(key))] == port) return key;
    }
  }

  /// A command on one node, with raw()'s reply: the string, or an integer in decimal, else empty.
  std::string raw_on(std::uint16_t port, std::vector<std::string> args) const { return node(port).raw(std::move(args)); }
  /// A command on one node with its whole reply: a redirection shows as an error "MOVED 3999 127.0.0.1:7001".
  redis_reply command_on(std::uint16_t port, const std::vector<std::string>& args) const { return node(port).command(args); }

  /// Moves `slot` and all its keys to the node on `to_port`, and tells every node: the old owner
  /// then answers -MOVED for the slot's keys.
  void move_slot(int slot, std::uint16_t to_port) {
    begin_moving_slot(slot, to_port);
    finish_moving_slot(slot, to_port);
  }

  /// Starts moving `slot` to `to_port` (IMPORTING there, MIGRATING at its owner) and moves only
  /// `keys_to_migrate` (all in the slot): the owner then answers -ASK for those keys, and for new ones.
  void begin_moving_slot(int slot, std::uint16_t to_port, const std::vector<std::string>& keys_to_migrate = {}) {
    auto from_port = port_owning_slot(slot);
    if (from_port == to_port) FAIL("slot " << slot << " is already on port " << to_port);
    expect_ok(to_port, {"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", node_id(from_port)});
    expect_ok(from_port, {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", node_id(to_port)});
    for (const auto& key : keys_to_migrate)
      if (slot_of(key) != slot) FAIL("key " << key << " is in slot " << slot_of(key) << ", not " << slot);
    if (!keys_to_migrate.empty()) migrate(from_port, to_port, keys_to_migrate);
  }

  /// Completes what begin_moving_slot started: moves the slot's other keys, then gives the slot to
  /// `to_port` on every live node (the new owner first, then the old one, as Redis's docs advise).
  void finish_moving_slot(int slot, std::uint16_t to_port) {
    auto from_port = port_owning_slot(slot); // the owner until SETSLOT NODE
    for (;;) {
      auto keys = node(from_port).command({"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"});
      if (keys.type != redis_reply::kind::array) FAIL("CLUSTER GETKEYSINSLOT on port " << from_port << " failed: " << keys.text);
      if (keys.elements.empty()) break;
      std::vector<std::string> names;
      for (const auto& k : keys.elements) names.push_back(k.text);
      migrate(from_port, to_port, names);
    }
    auto to_id = node_id(to_port);
    std::vector<std::uint16_t> order{to_port, from_port};
    for (const auto& n : nodes_)
      if (n->pid() != -1 && n->port() != to_port && n->port() != from_port) order.push_back(n->port());
    for (auto port : order) expect_ok(port, {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", to_id});
    wait_until_consistent();
  }

  /// Kills a node (SIGKILL, no goodbye): after cluster-node-timeout (2 s) the others mark it failed,
  /// and with no replicas the cluster state turns to fail.
  void kill_node(std::uint16_t port) { node(port).crash(); }

  /// Back once every live node says cluster_state:ok and they all give the same owner for every slot.
  void wait_until_consistent(std::chrono::milliseconds limit = 10s) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::string last_problem;
    while (std::chrono::steady_clock::now() < deadline) {
      last_problem = inconsistency();
      if (last_problem.empty()) return;
      std::this_thread::sleep_for(50ms); // between polls, not instead of them
    }
    FAIL("the cluster did not settle within " << limit.count() << " ms: " << last_problem);
  }

private:
  // redis-cli assigns the slots evenly, sets the config epochs and introduces the nodes to each other.
  void create() {
    std::vector<std::string> args{"redis-cli"};
    if (!options_.password.empty()) args.insert(args.end(), {"-a", options_.password, "--no-auth-warning"});
    args.insert(args.end(), {"--cluster", "create"});
    for (auto port : ports()) args.push_back("127.0.0.1:" + std::to_string(port));
    args.insert(args.end(), {"--cluster-replicas", "0", "--cluster-yes"});
    auto log = dir_.path("create.log");
    child_process cli(args, log);
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (cli.running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    if (cli.running()) FAIL("redis-cli --cluster create did not finish within 30 s:\n" << file_text(log));
    if (int code = cli.wait_for_exit(); code != 0) FAIL("redis-cli --cluster create exited with " << code << ":\n" << file_text(log));
  }

  // Empty when consistent; else what is not, for the failure message.
  std::string inconsistency() const {
    std::vector<std::uint16_t> reference;
    for (const auto& n : nodes_) {
      if (n->pid() == -1) continue;
      auto info = n->command({"CLUSTER", "INFO"}, 1s);
      if (info.text.find("cluster_state:ok") == std::string::npos)
        return "port " + std::to_string(n->port()) + " says: " + info.text.substr(0, info.text.find('\n'));
      auto owners = owners_seen_by(*n);
      if (std::count(owners.begin(), owners.end(), 0) > 0) return "port " + std::to_string(n->port()) + " sees slots without an owner";
      if (reference.empty())
        reference = owners;
      else if (owners != reference)
        return "port " + std::to_string(n->port()) + " disagrees on slot owners";
    }
    return {};
  }

  // Slot → owner port, from CLUSTER SLOTS: [[start, end, [ip, port, id, …], replicas…], …].
  static std::vector<std::uint16_t> owners_seen_by(const redis_server& n) {
    std::vector<std::uint16_t> owners(slot_count, 0);
    auto slots = n.command({"CLUSTER", "SLOTS"}, 1s);
    for (const auto& range : slots.elements) {
      if (range.elements.size() < 3 || range.elements[2].elements.size() < 2) continue;
      auto port = static_cast<std::uint16_t>(range.elements[2].elements[1].integer);
      for (auto s = range.elements[0].integer; s <= range.elements[1].integer; ++s) owners[static_cast<std::size_t>(s)] = port;
    }
    return owners;
  }

  const redis_server& first_live_node() const {
    for (const auto& n : nodes_)
      if (n->pid() != -1) return *n;
    throw std::logic_error("every node of the cluster is down");
  }

  void migrate(std::uint16_t from_port, std::uint16_t to_port, const std::vector<std::string>& keys) {
    std::vector<std::string> args{"MIGRATE", "127.0.0.1", std::to_string(to_port), "", "0", "5000"};
    if (!options_.password.empty()) args.insert(args.end(), {"AUTH", options_.password});
    args.push_back("KEYS");
    args.insert(args.end(), keys.begin(), keys.end());
    auto reply = node(from_port).command(args);
    if (reply.type != redis_reply::kind::status) FAIL("MIGRATE from port " << from_port << " to " << to_port << " failed: " << reply.text);
  }

  void expect_ok(std::uint16_t port, const std::vector<std::string>& args) const {
    auto reply = node(port).command(args);
    if (reply.type != redis_reply::kind::status)
      FAIL(args[0] << " " << args[1] << " " << args[2] << " … on port " << port << " failed: " << reply.text);
  }

  static std::string file_text(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  redis_cluster_options options_;
  temp_dir dir_;
  std::vector<std::unique_ptr<redis_server>> nodes_;
};

} // namespace onbehalf::testing
