// An asynchronous Redis client on Asio, for Redis as it is deployed: password or ACL user,
// TLS with a verified server name and an optional client certificate, a database number, or
// Redis Cluster (slots discovered, MOVED and ASK followed). It keeps a small pool of pipelined
// connections per node on a thread of its own, so no caller ever waits on the network and one
// slow command does not hold up the rest; it reconnects by itself, with backoff, and while a
// node is unreachable its commands fail at once.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"
#include "onbehalf/redis/reply.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::redis {

struct endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
};

struct tls_options {
  bool enabled = false;
  std::string ca_bundle_path;          // PEM; empty: the system's CAs
  std::string server_name;             // the name the certificate must carry; empty: the host connected to
  std::string client_certificate_path; // PEM, for servers that ask for one (tls-auth-clients)
  std::string client_key_path;
};

struct client_options {
  std::vector<endpoint> endpoints{endpoint{}}; // the server, or the cluster nodes to start from
  bool cluster = false;
  std::string user; // an ACL user; empty: the default user
  secret password;  // empty: no AUTH
  int database = 0; // SELECT; must be 0 with a cluster
  tls_options tls;
  std::chrono::milliseconds connect_timeout{1000}; // TCP, TLS and AUTH together
  std::chrono::milliseconds command_timeout{1000}; // from the call to its reply
  std::chrono::milliseconds reconnect_delay{100};  // after a failure, doubling up to the next
  std::chrono::milliseconds max_reconnect_delay{5000};
  std::chrono::milliseconds subscriber_ping_interval{5000}; // how soon a dead subscription is noticed
  std::size_t connections_per_node = 2;
};

struct error {
  enum class kind {
    unreachable, // could not connect, or the connection was lost
    timeout,     // no reply within the command timeout
    refused,     // credentials or permissions: a configuration to fix (WRONGPASS, NOAUTH, NOPERM)
    server,      // Redis answered with an error
    protocol,    // the reply was not RESP, or broke a limit
    closed,      // the client was shut down
  };
  kind what = kind::unreachable;
  std::string message;
};

using reply_callback = std::function<void(result<reply, error>)>;

struct health {
  enum class state { connecting, connected, unreachable, refused };
  state current = state::connecting;
  std::string detail; // what went wrong last, in plain words
};

struct statistics {
  std::size_t commands = 0;
  std::size_t failures = 0; // commands that ended in unreachable, timeout, protocol or closed
  std::size_t connections_opened = 0;
  std::size_t redirections = 0; // MOVED and ASK followed
};

class client {
public:
  /// Checks the options (TLS files are read here) and starts connecting in the background; a
  /// Redis that is down is not an error here, a CA bundle that cannot be read is.
  static result<std::unique_ptr<client>, std::string> create(client_options options);
  /// Stops the thread; calls still waiting are answered with error::kind::closed.
  ~client();
  /// The same, while the client is still there: the answers it gives as it stops may call it
  /// again (they are answered with error::kind::closed at once). Once is enough; again is harmless.
  void shutdown();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Sends one command. `key` places it in a cluster (its slot); empty: any node. `done` runs on
  /// the client's thread: hand the result on, do not block there.
  void call(std::string_view key, std::vector<std::string> arguments, reply_callback done);

  /// Receives the messages published to `channel`, on a connection of their own that is
  /// re-established after every loss. `on_gap` runs after each re-subscription: messages
  /// published while it was down are lost, and the caller may need to catch up.
  void subscribe(std::string channel, std::function<void(std::string message)> on_message, std::function<void()> on_gap = {});
  void publish(std::string channel, std::string message, reply_callback done);
  /// Runs `hook` on the client's thread whenever a connection to Redis is made, and when the
  /// subscription hears from a node whose other connections had failed: work that could not be
  /// done while Redis was away can be done now. Do not block there.
  void on_reachable(std::function<void()> hook);

  /// Refused also while Redis turns the subscriptions down (an ACL without the channel), even
  /// though commands work: announcements between instances are then lost.
  health current_health() const;
  /// Waits (on the caller's thread, so never on an I/O or actor thread) until the first
  /// connection has been made or refused (and, when there are subscriptions, until Redis has
  /// taken or refused them), or `limit` has passed.
  health wait_for_first_contact(std::chrono::milliseconds limit) const;
  statistics counters() const;
  /// "host:port" of the first endpoint (and "cluster" when it is one), for logs.
  const std::string& where() const noexcept;

private:
  client() = default;
  struct impl;
  std::shared_ptr<impl> impl_;
};

} // namespace onbehalf::redis
