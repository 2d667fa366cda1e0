// Whole requests through the server's own read path: the input goes over a loopback connection
// to a running http::server, whose dispatcher records each request it is handed and answers it
// with an empty 200. The server reads as bytes arrive — the simple head reader, the strict scan,
// Beast for heads and bodies, pipelined requests after one another — and must end up with what a
// reading of the same bytes all at once gives, request by request: the same method, target and
// body, and nothing handed on after a request it refuses (RFC 9112 §6.3: a message whose framing
// is in doubt ends the connection). Its answers must match: one per request, then the refusal,
// then the end of the connection.
#include "framing.hpp"
#include "fuzz.hpp"
#include "readers.hpp"
#include "simple_head.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/http/server.hpp"

#include <boost/asio/buffer.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace onbehalf;
using namespace onbehalf::http::detail;

namespace {

constexpr std::uint32_t header_limit = 8192;
constexpr std::uint64_t body_limit = 4096;

struct handed {
  std::string method, target, body;
  bool operator==(const handed&) const = default;
};

// Records what the server hands on; answers at once, with nothing that a HEAD would change.
class recording_dispatcher final : public http::dispatcher {
public:
  void dispatch(http::exchange_ptr x) override {
    {
      std::lock_guard lock(mutex_);
      seen_.push_back({x->req().method, x->req().target, x->req().body});
    }
    x->respond(http::response::text(200, ""));
  }
  std::vector<handed> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(seen_, {});
  }

private:
  std::mutex mutex_;
  std::vector<handed> seen_;
};

struct running_server {
  recording_dispatcher dispatcher;
  std::unique_ptr<http::server> server;
  std::uint16_t port = 0;

  running_server() {
    http::server_options o;
    o.limits.max_request_header_bytes = header_limit;
    o.limits.max_request_body_bytes = body_limit;
    server = std::make_unique<http::server>(o, dispatcher);
    auto started = server->start();
    FUZZ_REQUIRE(started);
    port = *started;
  }
};

running_server& the_server() {
  static running_server s; // stopped when the process ends: nothing runs on after its objects
  return s;
}

// What reading `bytes` all at once gives: the requests a server must hand on, and whether it
// must refuse what follows them (rather than wait for more bytes, or for the next request).
struct expected_reading {
  std::vector<handed> requests;
  bool refused = false;
  bool waiting = false; // for the rest of a request whose start arrived
};

expected_reading read_all_at_once(std::string_view bytes) {
  expected_reading out;
  while (!bytes.empty()) {
    http::request req;
    if (auto simple = read_simple_request_head(bytes, header_limit, req)) {
      out.requests.push_back({req.method, req.target, req.body});
      bytes.remove_prefix(simple->size);
      if (!simple->keep_alive) return out;
      continue;
    }
    auto scan = scan_request_head(bytes);
    if (scan.state == head_scan::state::malformed) {
      out.refused = true;
      return out;
    }
    if (scan.state != head_scan::state::whole) {
      out.refused = bytes.size() >= header_limit; // too long a head; else it waits for the rest
      out.waiting = !out.refused;
      return out;
    }
    // Beast checks its header limit only while a head is arriving, not on one it is given
    // whole; the server, reading at most 4 KiB at a time, has a head over the limit arrive.
    if (scan.size > header_limit) {
      out.refused = true;
      return out;
    }
    request_reader parser(req);
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    parser.eager(false);
    boost::beast::error_code ec;
    auto used = parser.put(boost::asio::buffer(bytes.data(), scan.size), ec);
    if (ec || !parser.is_header_done() || refuse_framing(req.headers, parser.version())) {
      out.refused = true;
      return out;
    }
    if (auto length = parser.content_length(); length && *length > body_limit) {
      out.refused = true;
      return out;
    }
    parser.eager(true);
    while (!parser.is_done()) {
      if (used == bytes.size()) {
        out.waiting = true; // for the rest of the body
        return out;
      }
      auto more = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
      used += more;
      if (ec == boost::beast::http::error::need_more) ec = {};
      if (ec) {
        out.refused = true;
        return out;
      }
      if (more == 0) {
        out.waiting = true; // for the rest of a chunk's framing
        return out;
      }
    }
    out.requests.push_back({req.method, req.target, req.body});
    bytes.remove_prefix(used);
    if (!parser.keep_alive()) return out;
  }
  return out;
}

// The statuses of the whole answers at the start of `bytes`, interim ones (100 Continue) left
// out, and whether they are all there is.
struct read_answers {
  std::vector<unsigned> statuses;
  bool whole = true;
};

read_answers statuses_of(std::string_view bytes) {
  read_answers out;
  static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n"; // as the server sends it
  while (!bytes.empty()) {
    if (bytes.starts_with(go_on)) {
      bytes.remove_prefix(go_on.size());
      continue;
    }
    http::client_response r;
    auto head = read_simple_response_head(bytes, 1 << 16, r);
    auto length = head ? r.headers.find("Content-Length") : std::nullopt;
    auto size = length ? text::parse_unsigned(*length) : std::nullopt;
    if (!size || *size > bytes.size() - head->size) {
      out.whole = false;
      return out;
    }
    out.statuses.push_back(r.status);
    bytes.remove_prefix(head->size + static_cast<std::size_t>(*size));
  }
  return out;
}

struct answers {
  std::string bytes;
  bool reset = false; // the server closed with input unread: what it sent last may be lost
};

// libFuzzer's -timeout runs on SIGALRM, which interrupts a blocking call now and then (every
// few seconds, at whatever call is under way): each call below goes on after EINTR. A connect
// interrupted goes on by itself; its end is waited for.
void finish_interrupted_connect(int fd) {
  pollfd p{fd, POLLOUT, 0};
  while (::poll(&p, 1, 10'000) < 0) FUZZ_REQUIRE(errno == EINTR);
  int error = 0;
  socklen_t length = sizeof error;
  FUZZ_REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0);
}

// Reads into `got` until `enough` says so or the server closes (true), or `patience` runs out.
template <class Enough>
bool read_until(int fd, answers& got, std::chrono::milliseconds patience, Enough enough) {
  auto give_up = std::chrono::steady_clock::now() + patience;
  char chunk[4096];
  while (!enough(got.bytes)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    auto ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n == 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      FUZZ_REQUIRE(errno == ECONNRESET);
      got.reset = true;
      return true;
    }
    got.bytes.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

// The server's end of this harness's connection `fd`: the socket of this same process whose peer
// is `fd`'s own address; -1 while the server has yet to accept the connection.
int server_end_of(int fd) {
  sockaddr_in mine{};
  socklen_t length = sizeof mine;
  FUZZ_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &length) == 0);
  DIR* descriptors = ::opendir("/proc/self/fd");
  FUZZ_REQUIRE(descriptors != nullptr);
  int found = -1;
  while (auto* entry = ::readdir(descriptors)) {
    int other = std::atoi(entry->d_name);
    if (other == fd || entry->d_name[0] == '.') continue;
    sockaddr_in peer{};
    socklen_t peer_length = sizeof peer;
    if (::getpeername(other, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0 && peer_length == sizeof peer && peer.sin_family == AF_INET &&
        peer.sin_port == mine.sin_port && peer.sin_addr.s_addr == mine.sin_addr.s_addr) {
      found = other;
      break;
    }
  }
  ::closedir(descriptors);
  return found;
}

// Waits until the server has taken every byte sent on `fd` out of its socket: none is left
// unacknowledged here, and the server's end holds none unread. A server that stops reading in the
// middle of a request fails the run.
void wait_until_server_took_all(int fd) {
  using namespace std::chrono_literals;
  auto give_up = std::chrono::steady_clock::now() + 10s;
  int server_end = -1;
  for (;;) {
    int unacknowledged = 0;
    FUZZ_REQUIRE(::ioctl(fd, SIOCOUTQ, &unacknowledged) == 0);
    if (unacknowledged == 0 && server_end < 0) server_end = server_end_of(fd);
    int unread = 0;
    if (server_end >= 0 && ::ioctl(server_end, SIOCINQ, &unread) == 0 && unread == 0) return;
    if (std::chrono::steady_clock::now() > give_up) {
      std::fprintf(stderr, "the server left %d bytes of a request unread for 10 s (%d not acknowledged)\n", unread, unacknowledged);
      FUZZ_REQUIRE(false);
    }
    std::this_thread::sleep_for(20us);
  }
}

// Sends the input, reads the `due` answers, then says no more will come and reads until the
// server closes. The end of input is said only after the server has taken every byte before it:
// an end that came with a request's bytes may be taken for the end of that read only and seen at
// the keep-alive or request timeout (http/src/drained_read.hpp), which no test should wait for;
// an end that comes after them raises an edge of its own, and a server `waiting` for the rest of a
// request must then close at once, with no answer to what it did not have whole.
answers exchange_over_loopback(std::uint16_t port, std::string_view input, std::size_t due, bool waiting) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_REQUIRE(fd >= 0);
  // Each connection ends in TIME_WAIT on this side for a minute; hundreds a second would use up
  // the ephemeral ports of one address. Loopback is a /8: the source address rotates instead.
  static unsigned next_source = 0;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (next_source++ % 250));
  FUZZ_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    FUZZ_REQUIRE(errno == EINTR);
    finish_interrupted_connect(fd);
  }
  // The server may close before it has read everything (after a refusal): what it did not read
  // is no longer sent.
  for (std::size_t sent = 0; sent < input.size();) {
    auto n = ::send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  using namespace std::chrono_literals;
  answers got;
  bool answered = read_until(fd, got, 10s, [due](std::string_view bytes) { return statuses_of(bytes).statuses.size() >= due; });
  if (!answered)
    std::fprintf(stderr, "%zu answers were due%s; in 10 s the server sent:\n%s\n", due, waiting ? " (then a wait)" : "", got.bytes.c_str());
  FUZZ_REQUIRE(answered);
  if (waiting && !got.reset) wait_until_server_took_all(fd);
  ::shutdown(fd, SHUT_WR);
  bool closed = got.reset || read_until(fd, got, 10s, [](std::string_view) { return false; });
  FUZZ_REQUIRE(closed); // the server closes a connection whose client has said it is done
  ::close(fd);
  return got;
}

bool refusal(unsigned status) { return status == 400 || status == 413 || status == 431 || status == 501; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto input = fuzz::as_text(data, size);
  auto& s = the_server();
  auto expected = read_all_at_once(input);
  auto due = expected.requests.size() + (expected.refused ? 1 : 0);
  auto got = exchange_over_loopback(s.port, input, due, expected.waiting);
  auto seen = s.dispatcher.take();

  // What the server handed on is what the bytes say, whatever the reads' boundaries were.
  if (seen != expected.requests)
    std::fprintf(stderr, "the server handed on %zu requests where %zu were due%s; it answered:\n%.2000s\n", seen.size(), expected.requests.size(),
                 expected.refused ? ", then a refusal" : "", got.bytes.c_str());
  FUZZ_REQUIRE(seen == expected.requests);
  // One answer per request, then the refusal, then nothing. A connection the server reset (it
  // closed with input unread, after a refusal or a last request) may have lost its last answers.
  auto answered = statuses_of(got.bytes);
  if (answered.statuses.size() != due || !answered.whole)
    std::fprintf(stderr, "%zu requests handed on%s; the server answered%s:\n%s\n", seen.size(), expected.refused ? ", then a refusal due" : "",
                 got.reset ? " (then reset)" : "", got.bytes.c_str());
  if (!got.reset) FUZZ_REQUIRE(answered.whole && answered.statuses.size() == due);
  FUZZ_REQUIRE(answered.statuses.size() <= due);
  for (std::size_t i = 0; i < answered.statuses.size(); ++i)
    FUZZ_REQUIRE(i < seen.size() ? answered.statuses[i] == 200 : refusal(answered.statuses[i]));
  return 0;
}
