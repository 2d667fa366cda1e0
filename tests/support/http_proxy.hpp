// An HTTP proxy for tests, as a corporate egress proxy behaves: CONNECT tunnels for https, plain
// http in absolute form (one request per connection), optional Basic credentials (407 without).
// It reaches only loopback upstreams, and counts what it carried.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace onbehalf::testing {

class http_proxy {
public:
  /// `authorization`: the Proxy-Authorization value it requires ("Basic …"); empty: none.
  explicit http_proxy(std::string authorization = {}) : authorization_(std::move(authorization)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in a = loopback(0);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t length = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &length);
    port_ = ntohs(a.sin_port);
    ::listen(listener_, 64);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~http_proxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
  }
  http_proxy(const http_proxy&) = delete;
  http_proxy& operator=(const http_proxy&) = delete;

  std::string address() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::size_t tunnels() const { return tunnels_; }     // CONNECTs it opened
  std::size_t forwarded() const { return forwarded_; } // plain http requests it passed on
  std::size_t refused() const { return refused_; }     // requests turned away with 407

private:
  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }

  void accept_loop() {
    while (!stopping_) {
      int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      std::lock_guard lock(mutex_);
      open_.push_back(client);
      workers_.emplace_back([this, client] { serve(client); });
    }
  }

  static void send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  int connect_upstream(const std::string& authority) {
    auto colon = authority.rfind(':');
    auto host = authority.substr(0, colon);
    if (colon == std::string::npos || (host != "127.0.0.1" && host != "localhost")) return -1;
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(static_cast<std::uint16_t>(std::stoi(authority.substr(colon + 1))));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return -1;
    }
    std::lock_guard lock(mutex_);
    open_.push_back(fd);
    return fd;
  }

  // Both ways until either side closes.
  static void relay(int a, int b) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buffer[16 * 1024];
    for (;;) {
      if (::poll(fds, 2, 10'000) <= 0) return;
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        auto n = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
        if (n <= 0) return;
        send_all(fds[1 - i].fd, std::string(buffer, static_cast<std::size_t>(n)));
      }
    }
  }

  void serve(int client) {
    std::string head;
    char c;
    while (head.size() < 16 * 1024 && head.find("\r\n\r\n") == std::string::npos && ::recv(client, &c, 1, 0) == 1) head += c;
    auto line_end = head.find("\r\n");
    if (line_end == std::string::npos) return finish(client, -1);
    auto line = head.substr(0, line_end);
    auto method = line.substr(0, line.find(' '));
    auto target = line.substr(method.size() + 1, line.rfind(' ') - method.size() - 1);
    if (!authorization_.empty() && head.find("\r\nProxy-Authorization: " + authorization_ + "\r\n") == std::string::npos) {
      ++refused_;
      send_all(client, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n");
      return finish(client, -1);
    }
    if (method == "CONNECT") {
      int upstream = connect_upstream(target);
      if (upstream < 0) {
        send_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return finish(client, -1);
      }
      ++tunnels_;
      send_all(client, "HTTP/1.1 200 Connection established\r\n\r\n");
      relay(client, upstream);
      return finish(client, upstream);
    }
    // Absolute form: http://host:port/path → origin form to the upstream, one request per connection.
    if (!target.starts_with("http://")) return finish(client, -1);
    auto rest = target.substr(7);
    auto slash = rest.find('/');
    int upstream = connect_upstream(rest.substr(0, slash));
    if (upstream < 0) {
      send_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return finish(client, -1);
    }
    ++forwarded_;
    auto fields = head.substr(line_end + 2);
    if (auto auth = fields.find("Proxy-Authorization: "); auth != std::string::npos) fields.erase(auth, fields.find("\r\n", auth) + 2 - auth);
    send_all(upstream, method + " " + (slash == std::string::npos ? "/" : rest.substr(slash)) + " HTTP/1.1\r\nConnection: close\r\n" + fields);
    relay(client, upstream);
    finish(client, upstream);
  }

  void finish(int client, int upstream) {
    std::lock_guard lock(mutex_);
    for (int fd : {client, upstream}) {
      if (fd < 0) continue;
      ::shutdown(fd, SHUT_RDWR);
      std::erase(open_, fd);
      ::close(fd);
    }
  }

  std::string authorization_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<int> open_;
  std::atomic<std::size_t> tunnels_{0}, forwarded_{0}, refused_{0};
};

} // namespace onbehalf::testing
