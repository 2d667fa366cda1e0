// A server that answers a connection (or the first few) with the given bytes, then closes it: for replies no
// real server would send (cut off mid-body, not HTTP at all). With `hold_open` it waits that long
// before closing, as a server that stalls in the middle of its answer. It keeps the request it read, so
// tests can check the exact bytes a client sent.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <string>
#include <thread>

namespace onbehalf::testing {

struct raw_server_options {
  std::chrono::milliseconds hold_open{}; // before closing: a server that stalls in its answer
  int connections = 1;                   // how many connections it answers in turn
  bool reset = false;                    // abort each connection (a TCP reset, as a server that crashed) instead of closing it
  bool answer_first = false;             // answer and close its side at once, then read the request: the end comes in the answer's segment
};

class raw_server {
public:
  explicit raw_server(std::string reply, std::chrono::milliseconds hold_open = {}) : raw_server(std::move(reply), raw_server_options{hold_open}) {}

  raw_server(std::string reply, raw_server_options o) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t length = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, reply, o] {
      for (int k = 0; k < o.connections; ++k) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        if (o.answer_first) {
          // Held back (MSG_MORE) until the shutdown, so the FIN travels in the answer's own segment.
          [[maybe_unused]] auto m = ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_MORE);
          ::shutdown(c, SHUT_WR);
        }
        auto request = read_request(c);
        if (k == 0) request_.set_value(std::move(request));
        if (!o.answer_first) [[maybe_unused]]
          auto m = ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
        std::this_thread::sleep_for(o.hold_open);
        if (o.reset) {
          linger abort{1, 0};
          ::setsockopt(c, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        }
        ::close(c);
      }
    });
  }
  ~raw_server() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  raw_server(const raw_server&) = delete;
  raw_server& operator=(const raw_server&) = delete;
  std::uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// The bytes of the request it answered: head and, by its Content-Length, body. Waits for them.
  std::string received() { return received_.get(); }

private:
  static std::string read_request(int c) {
    std::string got;
    char buffer[4096];
    auto complete = [&] {
      auto head_end = got.find("\r\n\r\n");
      if (head_end == std::string::npos) return false;
      auto length_at = got.find("Content-Length: ");
      std::size_t length = length_at < head_end ? std::stoul(got.substr(length_at + 16)) : 0;
      return got.size() >= head_end + 4 + length;
    };
    while (!complete()) {
      auto n = ::recv(c, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

  std::promise<std::string> request_;
  std::shared_future<std::string> received_ = request_.get_future().share();
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

} // namespace onbehalf::testing
