#include "test_client.hpp"

#include "onbehalf/core/text.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace onbehalf::testing {

std::optional<std::string> http_reply::header(std::string_view name) const {
  for (auto line : text::split(head, '\n')) {
    auto colon = line.find(':');
    if (colon != std::string_view::npos && text::iequals(text::trim(line.substr(0, colon)), name))
      return std::string(text::trim(line.substr(colon + 1)));
  }
  return std::nullopt;
}

raw_connection::raw_connection(std::uint16_t port, bool tls) : tls_(tls) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  if (!tls) return;
  ctx_ = SSL_CTX_new(TLS_client_method());
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
}

raw_connection::~raw_connection() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

void raw_connection::close() {
  if (ssl_) {
    SSL_shutdown(ssl_); // sends close_notify; the answering one is not waited for
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void raw_connection::send(std::string_view bytes) {
  if (tls_) {
    if (ssl_) SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
    return;
  }
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void raw_connection::finish_sending() {
  if (!tls_ && fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

bool raw_connection::fill(std::chrono::steady_clock::time_point deadline) {
  char chunk[16384];
  if (tls_ && ssl_ && SSL_pending(ssl_) > 0) {
    auto n = SSL_read(ssl_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  pollfd p{fd_, POLLIN, 0};
  if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
  long n = tls_ ? (ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : -1) : ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<http_reply> raw_connection::read_response(std::chrono::milliseconds timeout, bool head_request) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end_of_head;
  while ((end_of_head = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(deadline)) return std::nullopt;
  http_reply reply;
  reply.head = buffer_.substr(0, end_of_head);
  buffer_.erase(0, end_of_head + 4);
  reply.status = std::stoi(reply.head.substr(9, 3));
  if (reply.status == 100) return read_response(timeout, head_request);
  if (head_request) return reply;
  if (auto length = reply.header("Content-Length")) {
    auto n = std::stoul(*length);
    while (buffer_.size() < n)
      if (!fill(deadline)) return std::nullopt;
    reply.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
  } else if (auto te = reply.header("Transfer-Encoding"); te && text::iequals(*te, "chunked")) {
    for (;;) {
      std::size_t line_end;
      while ((line_end = buffer_.find("\r\n")) == std::string::npos)
        if (!fill(deadline)) return std::nullopt;
      auto size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
      while (buffer_.size() < line_end + 2 + size + 2)
        if (!fill(deadline)) return std::nullopt;
      reply.body += buffer_.substr(line_end + 2, size);
      buffer_.erase(0, line_end + 2 + size + 2);
      if (size == 0) break;
    }
  }
  return reply;
}

bool raw_connection::closed_by_server(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd p{fd_, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[4096];
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return true; // orderly close or reset
  }
}

bool raw_connection::reset_by_server(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::send(fd_, "x", 1, MSG_NOSIGNAL) < 0) return errno == ECONNRESET || errno == EPIPE;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::optional<http_reply> round_trip(std::uint16_t port, std::string_view raw_request, bool tls) {
  raw_connection c(port, tls);
  if (!c.connected()) return std::nullopt;
  c.send(raw_request);
  return c.read_response();
}

std::optional<http_reply> http_get(std::uint16_t port, std::string_view path, bool tls) {
  return round_trip(port, "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", tls);
}

} // namespace onbehalf::testing
