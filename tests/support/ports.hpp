// Loopback ports for tests: a free number for a server to take, or a port held closed.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace onbehalf::testing {

/// A loopback port nothing listens on, for as long as this lives: bound but not listening, so a
/// connection is refused, and no server another test starts meanwhile can be given the number
/// (a released one could, and would then take the connection meant to fail).
class closed_port {
public:
  closed_port() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t length = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length);
    number_ = ntohs(a.sin_port);
  }
  ~closed_port() { ::close(fd_); }
  closed_port(const closed_port&) = delete;
  closed_port& operator=(const closed_port&) = delete;
  std::uint16_t number() const { return number_; }

private:
  int fd_ = -1;
  std::uint16_t number_ = 0;
};

/// A free loopback port number for a server to take: held closed just long enough to learn it.
inline std::uint16_t free_loopback_port() { return closed_port().number(); }

} // namespace onbehalf::testing
