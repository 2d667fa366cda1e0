// A small blocking WebSocket client (RFC 6455) for tests: the upgrade with the browser's cookies,
// masked text frames out, text frames in.
#pragma once

#include "browser.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace onbehalf::testing {

class websocket_client {
public:
  /// Connects to 127.0.0.1:port and upgrades `path`, sending `cookie_header` (may be empty) and
  /// `extra_headers` (a browser's Origin, Sec-Fetch-Site).
  websocket_client(std::uint16_t port, const std::string& path, const std::string& cookie_header,
                   const std::vector<std::pair<std::string, std::string>>& extra_headers = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    auto key = base64::encode(crypto::random_bytes(16));
    std::string upgrade = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n";
    if (!cookie_header.empty()) upgrade += "Cookie: " + cookie_header + "\r\n";
    for (const auto& [name, value] : extra_headers) upgrade += name + ": " + value + "\r\n";
    upgrade += "\r\n";
    REQUIRE(write_all(upgrade));
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      char c;
      if (::recv(fd_, &c, 1, 0) != 1) break;
      head += c;
    }
    status_ = head.size() > 12 ? std::stoi(head.substr(9, 3)) : 0;
    response_head_ = head;
  }
  ~websocket_client() { ::close(fd_); }
  websocket_client(const websocket_client&) = delete;
  websocket_client& operator=(const websocket_client&) = delete;

  int status() const { return status_; }
  /// The code of the server's close frame, once receive() met one; 0 before, or when it had none.
  int close_code() const { return close_code_; }
  /// Stops reading for good (a client that has fallen asleep): the server's sends pile up.
  void shrink_receive_buffer() {
    int smallest = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &smallest, sizeof smallest);
  }
  const std::string& response_head() const { return response_head_; }

  void send(const std::string& text) { REQUIRE(write_frame(0x1, text)); }

  /// The next text message; nullopt when the connection closed or nothing came within 5 s.
  std::optional<std::string> receive() {
    for (;;) {
      std::string header;
      if (!read_exactly(2, header)) return std::nullopt;
      auto opcode = static_cast<unsigned char>(header[0]) & 0x0F;
      std::uint64_t n = static_cast<unsigned char>(header[1]) & 0x7F;
      std::string more;
      if (n == 126) {
        if (!read_exactly(2, more)) return std::nullopt;
        n = (static_cast<unsigned char>(more[0]) << 8) | static_cast<unsigned char>(more[1]);
      } else if (n == 127) {
        if (!read_exactly(8, more)) return std::nullopt;
        n = 0;
        for (char c : more) n = (n << 8) | static_cast<unsigned char>(c);
      }
      std::string payload;
      if (!read_exactly(static_cast<std::size_t>(n), payload)) return std::nullopt;
      if (opcode == 0x1) return payload;
      if (opcode == 0x8) { // close: answered with the same code, as RFC 6455 asks of a client
        if (payload.size() >= 2) close_code_ = (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
        (void)write_frame(0x8, payload.substr(0, std::min<std::size_t>(payload.size(), 2))); // the server may be gone already
        return std::nullopt;
      }
      // ping (0x9) and pong (0xA) are not what a test waits for
    }
  }

private:
  // One masked frame, FIN set.
  bool write_frame(unsigned opcode, const std::string& text) {
    std::string frame(1, static_cast<char>(0x80 | opcode));
    auto n = text.size();
    if (n < 126) {
      frame += static_cast<char>(0x80 | n);
    } else if (n < 65536) {
      frame += static_cast<char>(0x80 | 126);
      frame += static_cast<char>(n >> 8);
      frame += static_cast<char>(n & 0xFF);
    } else {
      frame += static_cast<char>(0x80 | 127);
      for (int i = 7; i >= 0; --i) frame += static_cast<char>((n >> (8 * i)) & 0xFF);
    }
    auto mask = crypto::random_bytes(4);
    frame += mask;
    for (std::size_t i = 0; i < n; ++i) frame += static_cast<char>(text[i] ^ mask[i % 4]);
    return write_all(frame);
  }

  bool write_all(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool read_exactly(std::size_t n, std::string& out) {
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
      auto r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  }

  int fd_ = -1;
  int status_ = 0;
  int close_code_ = 0;
  std::string response_head_;
};

/// The Cookie header a browser would send to the app.
inline std::string cookie_header_of(browser& b) {
  std::string header;
  for (const auto& [name, value] : b.cookies()) header += (header.empty() ? "" : "; ") + name + "=" + value;
  return header;
}

} // namespace onbehalf::testing
