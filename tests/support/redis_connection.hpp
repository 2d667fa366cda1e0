// A short-lived, blocking connection to a test's redis-server, plain or TLS, authenticated when the
// server needs it: what the Redis fixtures use to look at and steer their servers. Replies are
// parsed by hiredis's reader; the bytes go over our own socket because hiredis 0.14 has no TLS.
#pragma once

#include "redis_tls_files.hpp"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace onbehalf::testing {

/// One reply, whatever its type; `no_answer` when the connection, the TLS handshake or the AUTH
/// failed or the server did not answer in time (then `text` says why).
struct redis_reply {
  enum class kind { no_answer, nil, string, integer, status, error, array };
  kind type = kind::no_answer;
  std::string text{}; // the string, the status ("OK"), the error ("MOVED 3999 127.0.0.1:7001"), the integer in decimal
  long long integer = 0;
  std::vector<redis_reply> elements{};

  bool is_error() const { return type == kind::error; }
  bool answered() const { return type != kind::no_answer; }
  /// The error's first word: "MOVED", "ASK", "NOAUTH", "WRONGPASS"…; empty when not an error.
  std::string error_code() const { return is_error() ? text.substr(0, text.find(' ')) : std::string(); }
};

/// Where a server is and how to get in.
struct redis_endpoint {
  std::uint16_t port = 0;
  std::string user{};                   // AUTH user password when set, AUTH password (the default user) when empty
  std::string password{};               // no AUTH when empty
  const redis_tls_files* tls = nullptr; // TLS with this CA and client certificate when set
};

class redis_connection {
public:
  redis_connection(const redis_endpoint& endpoint, std::chrono::milliseconds timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // Every wait (connect included, on Linux) is bounded: a paused server must not hang a test.
    timeval limit{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(endpoint.port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      error_ = "cannot connect to 127.0.0.1:" + std::to_string(endpoint.port) + ": " + std::strerror(errno);
      return;
    }
    if (endpoint.tls && !start_tls(*endpoint.tls)) return;
    if (!endpoint.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!endpoint.user.empty()) auth.push_back(endpoint.user);
      auth.push_back(endpoint.password);
      auto reply = command(auth);
      if (reply.type != redis_reply::kind::status) {
        error_ = "AUTH refused: " + reply.text;
        return;
      }
      authenticated_ = true;
    }
  }
  ~redis_connection() {
    if (ssl_) SSL_free(ssl_); // frees its BIOs too
    if (context_) SSL_CTX_free(context_);
    if (reader_) redisReaderFree(reader_);
    if (fd_ >= 0) ::close(fd_);
  }
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  /// Empty when connected (and authenticated); else why not.
  const std::string& error() const { return error_; }
  /// True when this connection sent an AUTH the server accepted.
  bool authenticated() const { return authenticated_; }

  redis_reply command(const std::vector<std::string>& args) {
    if (!error_.empty()) return no_answer(error_);
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    char* request = nullptr;
    int length = redisFormatCommandArgv(&request, static_cast<int>(args.size()), argv.data(), lengths.data());
    bool sent = length > 0 && send_all(request, static_cast<std::size_t>(length));
    redisFreeCommand(request);
    if (!sent) return fail("cannot send " + (args.empty() ? std::string() : args[0]));
    if (!reader_) reader_ = redisReaderCreate();
    for (;;) {
      void* parsed = nullptr;
      if (redisReaderGetReply(reader_, &parsed) != REDIS_OK) return fail("unreadable reply");
      if (parsed) {
        auto* reply = static_cast<redisReply*>(parsed);
        auto out = convert(*reply);
        freeReplyObject(reply);
        return out;
      }
      char buffer[16384];
      long n = receive(buffer, sizeof buffer);
      if (n <= 0) return fail("no reply to " + (args.empty() ? std::string() : args[0]) + " (closed or timed out)");
      redisReaderFeed(reader_, buffer, static_cast<std::size_t>(n));
    }
  }

private:
  static redis_reply no_answer(const std::string& why) { return {redis_reply::kind::no_answer, why, 0, {}}; }
  redis_reply fail(const std::string& why) {
    error_ = why;
    return no_answer(why);
  }

  static redis_reply convert(const redisReply& r) {
    redis_reply out;
    switch (r.type) {
    case REDIS_REPLY_STRING: out.type = redis_reply::kind::string; break;
    case REDIS_REPLY_STATUS: out.type = redis_reply::kind::status; break;
    case REDIS_REPLY_ERROR: out.type = redis_reply::kind::error; break;
    case REDIS_REPLY_NIL: out.type = redis_reply::kind::nil; break;
    case REDIS_REPLY_INTEGER:
      out.type = redis_reply::kind::integer;
      out.integer = r.integer;
      out.text = std::to_string(r.integer);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = redis_reply::kind::array;
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
      break;
    }
    if (r.str && r.type != REDIS_REPLY_INTEGER) out.text.assign(r.str, r.len);
    return out;
  }

  bool start_tls(const redis_tls_files& files) {
    context_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(context_, files.ca.c_str(), nullptr) != 1 ||
        SSL_CTX_use_certificate_file(context_, files.client_certificate.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(context_, files.client_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      error_ = "cannot load the test TLS files: " + openssl_error();
      return false;
    }
    ssl_ = SSL_new(context_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    // OpenSSL reads and writes memory buffers and this class moves them over the socket: the
    // socket's timeouts then bound every wait, and a write to a closed socket raises no SIGPIPE.
    network_in_ = BIO_new(BIO_s_mem());
    network_out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, network_in_, network_out_);
    SSL_set_connect_state(ssl_);
    if (tls_step([&] { return SSL_do_handshake(ssl_); }) <= 0) {
      error_ = "TLS handshake failed: " + openssl_error();
      return false;
    }
    return true;
  }

  static std::string openssl_error() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "connection closed or timed out";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
  }

  // Runs an OpenSSL step until it completes, feeding it what the socket brings.
  template <class Step>
  int tls_step(Step step) {
    for (;;) {
      int r = step();
      if (!flush_tls()) return -1;
      if (r > 0) return r;
      if (SSL_get_error(ssl_, r) != SSL_ERROR_WANT_READ) return -1;
      char buffer[16384];
      auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return -1;
      BIO_write(network_in_, buffer, static_cast<int>(n));
    }
  }
  bool flush_tls() {
    char buffer[16384];
    int n = 0;
    while ((n = BIO_read(network_out_, buffer, sizeof buffer)) > 0)
      if (!send_plain(buffer, static_cast<std::size_t>(n))) return false;
    return true;
  }

  bool send_plain(const char* data, std::size_t size) {
    while (size > 0) {
      auto n = ::send(fd_, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }
  bool send_all(const char* data, std::size_t size) {
    if (!ssl_) return send_plain(data, size);
    return tls_step([&] { return SSL_write(ssl_, data, static_cast<int>(size)); }) > 0;
  }
  long receive(char* buffer, std::size_t size) {
    if (!ssl_) return ::recv(fd_, buffer, size, 0);
    return tls_step([&] { return SSL_read(ssl_, buffer, static_cast<int>(size)); });
  }

  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;
  BIO* network_out_ = nullptr;
  redisReader* reader_ = nullptr;
  std::string error_;
  bool authenticated_ = false;
};

} // namespace onbehalf::testing
