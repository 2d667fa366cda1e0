// Beast/Asio implementation of http::server. One io_context per I/O thread ("lane"):
// a connection lives on one lane, so its state needs no locks.
#include "onbehalf/http/server.hpp"

#include "beast_support.hpp"
#include "deadlines.hpp"
#include "drained_read.hpp"
#include "framing.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/http/trace_context.hpp"
#include "onbehalf/http/websocket.hpp"
#include "random_ids.hpp"
#include "readers.hpp"
#include "simple_head.hpp"
#include "wire.hpp"

#include <boost/beast/websocket.hpp>

#include <array>
#include <cerrno>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_set>

#include <sys/socket.h>

namespace onbehalf::http {

namespace {

using beast_request = bhttp::request<bhttp::string_body>;

// A response buffer that grew beyond this for one large answer is let go afterwards.
constexpr std::size_t retained_response_bytes = 64 * 1024;

std::string new_correlation_id() { return detail::random_hex(32); }

// A caller's X-Correlation-ID is kept only when it cannot smuggle anything into logs.
bool acceptable_correlation_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

struct rejection {
  unsigned status = 0; // 0: just close the connection
  std::string message;
};

rejection classify_read_error(const beast::error_code& ec, const server_limits& limits) {
  if (ec == bhttp::error::header_limit)
    return {431, "The request headers are larger than this server accepts (" + std::to_string(limits.max_request_header_bytes) + " bytes)."};
  if (ec == bhttp::error::body_limit)
    return {413, "The request body is larger than this server accepts (" + std::to_string(limits.max_request_body_bytes) + " bytes)."};
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return {};
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
    return {400, "The request is not well-formed HTTP/1.1 (" + ec.message() + ")."};
  return {}; // timeout, reset, cancelled: the peer is gone or too slow to answer
}

// A request whose length or Host could be read more than one way: refused, and the connection
// with it, so that nothing after it is read as a request.
std::optional<rejection> refused_framing(const request& req, int version) {
  auto refusal = detail::refuse_framing(req.headers, version);
  if (!refusal) return std::nullopt;
  return rejection{refusal->status, std::move(refusal->message)};
}

} // namespace

struct server::impl {
  struct lane;
  // Whether the client of a request being handled is still there. Its lane looks now and then
  // (check_departures): nothing to read (end of stream) or a reset means it left, and
  // exchange::request_aborted() is cancelled so that work done only for its answer stops. Bytes
  // mean it sent more: over plain TCP a pipelined request, left for the next read; over TLS they
  // may as well be its close_notify (TLS 1.3 hides an alert's type), so they are read into the
  // connection's buffer to tell. Touched only on the lane's thread.
  struct departure_watch {
    std::weak_ptr<exchange> request;        // while the request is handled and watched
    bool still_there = false;               // it sent more: nothing more to learn this request
    bool reading = false;                   // over TLS: a read is pending to tell what it sent
    bool stopping = false;                  // the answer came: that read is being called off
    bool gone = false;                      // the client left before its answer
    bool interrupted = false;               // that read was called off mid-record: the connection cannot go on
    std::optional<steady_timer> read_ended; // cancelled when that read ends
    std::function<void()> read_ahead;       // over TLS: starts that read; set once per connection

    bool watched() const { return !request.expired() && !gone && !still_there && !reading; }
    void leave() {
      gone = true;
      if (auto x = request.lock()) x->abort_request();
    }
    void reset() {
      request.reset();
      still_there = gone = interrupted = false;
    }
  };

  struct connection {
    lane* owner = nullptr;
    tcp_socket* socket = nullptr;
    detail::deadline* limit = nullptr; // when the peer must next have made progress
    bool idle = false;                 // waiting for the next request: safe to close on shutdown
    bool refused = false;              // answered a malformed request: what the client sent behind it is unread
    departure_watch departure;
  };

  // A request whose answer has not come back yet. The lane owns it, not the exchange, so a forced
  // shutdown can drop the suspended connection while its I/O context still exists; an answer that
  // arrives later finds it closed and goes nowhere.
  struct awaiting_answer {
    // Boost 1.81's any_completion_handler recurses without end when moved; this small holder does not.
    struct resumer {
      virtual ~resumer() = default;
      virtual void resume(std::pair<response, std::size_t> answer) = 0;
    };
    template <class Handler>
    struct resumer_of final : resumer {
      explicit resumer_of(Handler&& h) : handler(std::move(h)) {}
      void resume(std::pair<response, std::size_t> answer) override { std::move(handler)(std::move(answer)); }
      Handler handler;
    };

    std::mutex mutex;
    bool closed = false;
    std::unique_ptr<resumer> resume; // the suspended connection; dropping it ends the connection
    explicit awaiting_answer(executor lane) : home(std::move(lane)) {}
    executor home; // the connection's lane, where the answer is handed back
  };

  struct lane {
    // Declared before the context so they outlive it: destroying the context destroys suspended
    // connection coroutines, whose guards still remove themselves from these sets.
    std::unordered_set<connection*> connections;                   // touched only on this lane's thread
    std::unordered_set<std::shared_ptr<awaiting_answer>> awaiting; // likewise
    explicit lane(std::chrono::milliseconds tick) : watch(context, tick) {}
    detail::deadline_watch watch; // likewise; it keeps only a reference to the context until used
    asio::io_context context{1};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread thread;
    std::optional<steady_timer> departure_check; // runs while requests are watched (check_departures)
    bool checking = false;
  };

  server_options options;
  dispatcher& target;
  request_metrics* metrics;
  std::vector<std::unique_ptr<lane>> lanes;
  std::optional<tcp_acceptor> acceptor;
  std::optional<asio::ssl::context> tls;
  std::optional<steady_timer> shutdown_deadline;
  std::atomic<bool> running{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> refused_connections{0}; // over the cap, since the start
  std::atomic<std::size_t> answering_refusals{0};
  std::atomic<std::chrono::steady_clock::rep> last_full_warning{0};
  std::atomic<std::size_t> next_lane{0};
  std::uint16_t bound_port = 0;
  std::mutex finish_mutex;
  bool finished = false;
  std::vector<client*> sharing;                       // clients to lend the lanes to, at start
  std::vector<std::shared_ptr<void>> lent_to_clients; // their attachments, until the lanes stop

  // Stops lending the lanes: on each lane's thread while it runs, or directly once it no longer does.
  void take_lanes_back(bool threads_stopped) {
    for (auto& l : lanes)
      for (const auto& attachment : lent_to_clients) {
        if (threads_stopped) {
          detail::lane_access::detach(attachment, l->context);
        } else {
          asio::post(l->context, [attachment, ctx = &l->context] { detail::lane_access::detach(attachment, *ctx); });
        }
      }
  }

  impl(server_options o, dispatcher& d, request_metrics* m) : options(std::move(o)), target(d), metrics(m) {}

  result<bool, std::string> load_tls() {
    if (options.tls_certificate_path.empty()) return true;
    tls.emplace(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                     asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    tls->use_certificate_chain_file(options.tls_certificate_path, ec);
    if (ec) return failure{"cannot load the TLS certificate '" + options.tls_certificate_path + "': " + ec.message()};
    tls->use_private_key_file(options.tls_key_path, asio::ssl::context::pem, ec);
    if (ec) return failure{"cannot load the TLS private key '" + options.tls_key_path + "': " + ec.message()};
    return true;
  }

  result<std::uint16_t, std::string> start() {
    if (auto loaded = load_tls(); !loaded) return failure{loaded.error()};
    beast::error_code ec;
    auto address = asio::ip::make_address(options.address, ec);
    if (ec) return failure{"'" + options.address + "' is not an IP address to listen on"};
    auto where = options.address + ":" + std::to_string(options.port);
    auto shortest = std::min({options.limits.keep_alive_timeout, options.limits.request_headers_timeout});
    auto tick = detail::deadline_watch::tick_for(std::chrono::duration_cast<std::chrono::milliseconds>(shortest));
    for (unsigned i = 0; i < std::max(1u, options.io_threads); ++i) lanes.push_back(std::make_unique<lane>(tick));
    acceptor.emplace(lanes[0]->context);
    tcp::endpoint endpoint(address, options.port);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor.reset();
      lanes.clear();
      return failure{"cannot listen on " + where + ": " + ec.message() +
                     (ec == asio::error::address_in_use ? " (is another server using the port? change Onbehalf:Port)" : "")};
    }
    bound_port = acceptor->local_endpoint().port();
    running = true;
    asio::co_spawn(lanes[0]->context, accept_loop(), asio::detached);
    std::vector<asio::io_context*> contexts;
    for (auto& l : lanes) contexts.push_back(&l->context);
    for (auto* c : sharing) lent_to_clients.push_back(detail::lane_access::attach(*c, contexts));
    for (auto& l : lanes) {
      l->work.emplace(l->context.get_executor());
      l->thread = std::thread([ctx = &l->context] {
        detail::current_io_lane = ctx;
        ctx->run();
        detail::current_io_lane = nullptr;
      });
    }
    log_info("Listening for HTTP requests",
             {{"address", options.address + ":" + std::to_string(bound_port)}, {"tls", tls ? "on" : "off"}, {"io_threads", lanes.size()}});
    return bound_port;
  }

  awaitable<void> accept_loop() {
    for (;;) {
      auto& l = *lanes[next_lane.fetch_add(1, std::memory_order_relaxed) % lanes.size()];
      tcp_socket socket(l.context);
      auto [ec] = co_await acceptor->async_accept(socket, use_tuple);
      if (stopping) co_return;
      if (ec) {
        log_warning("Could not accept a connection", {{"error", ec.message()}});
        // Out of file descriptors: pause rather than spin.
        steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      if (open_connections.load() >= options.limits.max_connections) {
        turn_away(std::move(socket), l);
        continue;
      }
      open_connections.fetch_add(1);
      asio::co_spawn(l.context, run_connection(std::move(socket), l), [this](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            log_error("A connection failed unexpectedly", {{"error", x.what()}});
          }
        }
        if (open_connections.fetch_sub(1) == 1 && stopping) finish(false);
      });
    }
  }

  awaitable<void> run_connection(tcp_socket socket, lane& l) {
    beast::error_code ignored;
    auto peer = socket.remote_endpoint(ignored);
    std::string remote = ignored ? std::string() : peer.address().to_string();
    connection c;
    c.owner = &l;
    l.connections.insert(&c);
    struct unregister {
      lane& l;
      connection& c;
      ~unregister() { l.connections.erase(&c); }
    } guard{l, c};

    if (!tls) {
      detail::deadline limit(l.watch, socket);
      c.socket = &socket;
      c.limit = &limit;
      co_await serve(socket, c, remote, false);
      socket.shutdown(tcp_socket::shutdown_send, ignored);
      if (c.refused) co_await linger(socket, limit);
      co_return;
    }
    beast::ssl_stream<tcp_socket> secure(std::move(socket), *tls);
    detail::deadline limit(l.watch, secure.next_layer());
    c.socket = &secure.next_layer();
    c.limit = &limit;
    limit.expires_after(options.limits.request_headers_timeout);
    auto [ec] = co_await secure.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (ec) co_return;
    co_await serve(secure, c, remote, true);
    limit.expires_after(std::chrono::seconds(5));
    co_await secure.async_shutdown(use_tuple);
  }

  // After a refusal the client may still be sending what came behind the refused request. Closing
  // with those bytes unread would reset the connection, and a reset can discard the answer before
  // the client reads it; so they are read and dropped first, for a short while and up to a bound
  // (as nginx's lingering close).
  static awaitable<void> linger(tcp_socket& socket, detail::deadline& limit) {
    static constexpr std::size_t most = 256 * 1024;
    limit.expires_after(std::chrono::seconds(2));
    std::array<char, 4096> sink;
    for (std::size_t dropped = 0; dropped < most;) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) co_return;
      dropped += n;
    }
  }

  // Over the connection cap: a short answer without reading the request, then the end. Over TLS
  // no answer is possible without a handshake, which is what a full server must not spend.
  awaitable<void> refuse_over_capacity(tcp_socket socket, lane& l) {
    static const std::string full = [] {
      auto r = response::text(503, "This server has as many connections as it takes; try again shortly.\n");
      r.headers.set("Retry-After", "5");
      std::string bytes;
      detail::write_response(bytes, r, false, false);
      return bytes;
    }();
    detail::deadline limit(l.watch, socket);
    limit.expires_after(std::chrono::seconds(1));
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(full.data(), full.size()), use_tuple);
    beast::error_code ignored;
    socket.shutdown(tcp_socket::shutdown_send, ignored);
    if (!ec) co_await linger(socket, limit);
  }

  void turn_away(tcp_socket socket, lane& l) {
    auto refused = refused_connections.fetch_add(1) + 1;
    auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    auto last = last_full_warning.load();
    if (now - last > std::chrono::steady_clock::duration(std::chrono::minutes(1)).count() && last_full_warning.compare_exchange_strong(last, now))
      log_warning("The server is at its connection limit; new connections get 503 until some close. Raise Onbehalf:Limits:MaxConnections "
                  "if the machine can take more",
                  {{"limit", options.limits.max_connections}, {"refused_so_far", refused}});
    static constexpr std::size_t most_answering = 64; // beyond this, refusals are not answered either
    if (tls || answering_refusals.load() >= most_answering) return;
    answering_refusals.fetch_add(1);
    asio::co_spawn(l.context, refuse_over_capacity(std::move(socket), l), [this](std::exception_ptr) { answering_refusals.fetch_sub(1); });
  }

  template <class Stream>
  awaitable<void> serve(Stream& stream, connection& c, const std::string& remote, bool secure) {
    beast::flat_buffer buffer;
    std::string out; // the response on its way out; its capacity serves the next one
    auto& limit = *c.limit;
    auto& departure = c.departure;
    if constexpr (!std::is_same_v<Stream, tcp_socket>)
      departure.read_ahead = [&stream, &buffer, &departure] { read_to_tell(stream, buffer, departure); };
    for (;;) {
      // Idle: wait for the first bytes of the next request under the keep-alive timeout.
      if (buffer.size() == 0) {
        if (stopping) co_return;
        c.idle = true;
        limit.expires_after(options.limits.keep_alive_timeout);
        auto [ec, n] = co_await stream.async_read_some(detail::drained_read_buffer(buffer.prepare(4096)), use_tuple);
        c.idle = false;
        if (ec) co_return;
        buffer.commit(n);
      }
      auto started = std::chrono::steady_clock::now();
      // Busy: the whole request must arrive within the headers timeout, so slow clients cannot pin us.
      limit.expires_after(options.limits.request_headers_timeout);
      request req;
      int version = 11;
      bool keep_alive = true;
      // A request without a body or upgrade usually arrives whole in one read: read here, without
      // Beast (simple_head.hpp). Anything else, or a head still arriving, is Beast's.
      std::string_view arrived(static_cast<const char*>(buffer.data().data()), buffer.size());
      if (auto simple = detail::read_simple_request_head(arrived, options.limits.max_request_header_bytes, req)) {
        buffer.consume(simple->size);
        version = simple->version;
        keep_alive = simple->keep_alive; // its framing is beyond doubt: no body, one good Host
      } else {
        // The whole head first, checked strictly: Beast 1.81 reads some heads RFC 9112 refuses.
        for (;;) {
          auto scan = detail::scan_request_head(std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
          if (scan.state == detail::head_scan::state::malformed) {
            rejection why{400, std::string("The request is not well-formed HTTP/1.1: ") + scan.problem + "."}; // named: see core/task.hpp on g++ 12
            co_await reject(stream, c, out, why, started);
            co_return;
          }
          // Beast checks its limit only on a head still arriving: a head whose last read took it
          // past the limit (a request before it in the same read moves the reads' boundaries)
          // would pass, and whether one did would depend on how its bytes arrived.
          bool over_limit = scan.state == detail::head_scan::state::whole ? scan.size > options.limits.max_request_header_bytes
                                                                          : buffer.size() >= options.limits.max_request_header_bytes;
          if (!over_limit && scan.state == detail::head_scan::state::whole) break;
          if (over_limit) {
            co_await reject(stream, c, out, classify_read_error(bhttp::error::header_limit, options.limits), started);
            co_return;
          }
          auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
          if (ec) co_return;
          buffer.commit(n);
        }
        detail::request_reader parser(req);
        parser.header_limit(options.limits.max_request_header_bytes);
        parser.body_limit(options.limits.max_request_body_bytes);
        auto [header_ec, header_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
        if (header_ec) {
          co_await reject(stream, c, out, classify_read_error(header_ec, options.limits), started);
          co_return;
        }
        if (auto why = refused_framing(req, parser.version())) {
          co_await reject(stream, c, out, *why, started); // before a body read one way or another
          co_return;
        }
        if (auto length = parser.content_length(); length && *length > options.limits.max_request_body_bytes) {
          co_await reject(stream, c, out, classify_read_error(bhttp::error::body_limit, options.limits), started);
          co_return;
        }
        if (auto expect = req.headers.find("Expect"); expect && text::iequals(*expect, "100-continue")) {
          static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
          auto [ec, n] = co_await asio::async_write(stream, asio::buffer(go_on.data(), go_on.size()), use_tuple);
          if (ec) co_return;
        }
        if (!parser.is_done()) {
          auto [body_ec, body_bytes] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
          if (body_ec) {
            co_await reject(stream, c, out, classify_read_error(body_ec, options.limits), started);
            co_return;
          }
        }
        version = parser.version();
        keep_alive = parser.keep_alive();
      }
      auto handshake = websocket_handshake(req, version); // a WebSocket upgrade needs the request itself
      bool head = req.method == "HEAD";
      bool http10 = version == 10;
      // Handler time is the server's, not the client's: no read deadline while it runs.
      limit.expires_never();
      complete(req, remote, secure);
      std::optional<access_record> access;
      if (logger::global().enabled(log_level::debug))
        access.emplace(access_record{req.correlation_id, continue_trace(req.headers, req.correlation_id).trace_id, req.method, req.path});
      auto [answer, route_id] = co_await dispatch(std::move(req), *c.owner, [&](const exchange_ptr& x) {
        // Watched only when the answer is not at hand and nothing of a next request is: a client
        // that pipelines is plainly still there.
        if (x->answered() || buffer.size() != 0) return;
        departure.request = x;
        check_departures(*c.owner);
      });
      if (departure.reading) {
        departure.stopping = true;
        beast::error_code ignored;
        c.socket->cancel(ignored);
        co_await departure.read_ended->async_wait(use_tuple);
        departure.stopping = false;
      }
      bool gone = departure.gone;
      // A client gone is told nothing more, but the answer is still written: a client that only
      // half-closed its side after the request (as some HTTP/1.0 tools do) is still reading.
      if (gone || departure.interrupted) keep_alive = false;
      departure.reset();
      if (answer.upgrade && handshake) {
        record(route_id, 101, started);
        co_await run_websocket(stream, c, std::move(*handshake), std::move(answer.upgrade));
        co_return;
      }

      if (answer.status < 200 || answer.status > 999) {
        // An interim or impossible status as the final answer would leave the client waiting.
        log_error("A handler answered with a status that cannot end a request; sent 500",
                  {{"cid", std::string(answer.headers.find("X-Correlation-ID").value_or(""))}, {"status", answer.status}});
        answer = response::error(500, "The server could not complete the request.");
      }
      keep_alive = keep_alive && !stopping;
      detail::write_response(out, answer, keep_alive, head, http10);
      limit.expires_after(options.limits.request_headers_timeout);
      auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(out), use_tuple);
      auto outcome = gone ? 499u : answer.status; // as nginx counts it: the client closed the request
      record(route_id, outcome, started);
      if (access) log_access(*access, outcome, started);
      if (out.capacity() > retained_response_bytes) std::string().swap(out); // one large answer should not pin memory
      if (write_ec || !keep_alive) co_return;
    }
  }

  // --- WebSocket: a connection a handler upgraded (exchange::accept_websocket) ---

  // Messages on their way out; std::nullopt asks for a normal closure. Touched only on the lane.
  struct outbox {
    explicit outbox(const executor& e) : drained(e) {}
    std::deque<std::optional<std::string>> queue;
    std::size_t queued_bytes = 0; // of the messages in the queue and the one being written
    bool writing = false;
    bool gone = false;    // the socket object is gone: nothing may touch it
    steady_timer drained; // cancelled when the writer stops, for the reader waiting on it
  };

  template <class Stream>
  awaitable<void> run_websocket(Stream& stream, connection& c, beast_request handshake, std::shared_ptr<websocket> socket) {
    using ws_stream = beast::websocket::stream<Stream&>;
    ws_stream ws(stream);
    c.limit->expires_never(); // the WebSocket keeps its own time: pings, and a handshake timeout
    ws.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.read_message_max(options.limits.max_websocket_message_bytes);
    auto [accept_ec] = co_await ws.async_accept(handshake, use_tuple);
    if (accept_ec) {
      socket->ended();
      co_return;
    }
    auto executor = co_await asio::this_coro::executor;
    auto box = std::make_shared<outbox>(executor);
    auto enqueue = [this, executor, box, &ws](std::optional<std::string> message) {
      asio::post(executor, [this, box, &ws, message = std::move(message)]() mutable {
        if (box->gone) return;
        if (message) box->queued_bytes += message->size();
        if (box->queued_bytes > options.limits.max_websocket_backlog_bytes) {
          // The client reads too slowly to keep up: what waits for it would grow without end.
          log_warning("A WebSocket client fell too far behind on its messages and was disconnected",
                      {{"waiting_bytes", box->queued_bytes}, {"limit", options.limits.max_websocket_backlog_bytes}});
          box->queue.clear();
          box->queued_bytes = 0;
          beast::error_code ignored;
          beast::get_lowest_layer(ws).close(ignored);
          return;
        }
        box->queue.push_back(std::move(message));
        if (box->writing) return;
        box->writing = true;
        asio::co_spawn(box->drained.get_executor(), write_pending<ws_stream>(box, ws), asio::detached);
      });
    };
    socket->attach([enqueue](std::string text) { enqueue(std::move(text)); }, [enqueue] { enqueue(std::nullopt); });
    beast::flat_buffer buffer;
    for (;;) {
      c.idle = true; // a shutdown closes it, as it closes idle keep-alive connections
      auto [ec, n] = co_await ws.async_read(buffer, use_tuple);
      c.idle = false;
      if (ec) break;
      socket->deliver(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    }
    if (box->writing) co_await box->drained.async_wait(use_tuple); // the writer still uses `ws`
    box->gone = true;
    socket->ended();
  }

  template <class WsStream>
  static awaitable<void> write_pending(std::shared_ptr<outbox> box, WsStream& ws) {
    while (!box->queue.empty() && !box->gone) {
      auto message = std::move(box->queue.front());
      box->queue.pop_front();
      if (!message) {
        co_await ws.async_close(beast::websocket::close_code::normal, use_tuple);
        break;
      }
      ws.text(true);
      auto [ec, n] = co_await ws.async_write(asio::buffer(*message), use_tuple);
      if (ec) break;
      box->queued_bytes -= std::min(box->queued_bytes, message->size());
    }
    box->writing = false;
    box->drained.cancel();
  }

  // How often a lane looks whether the clients of requests being handled are still there: soon
  // enough to stop a downstream call nobody waits for, while a request pays nothing for it.
  static constexpr std::chrono::milliseconds departure_check_interval{200};

  void check_departures(lane& l) {
    if (l.checking) return;
    l.checking = true;
    if (!l.departure_check) l.departure_check.emplace(l.context);
    l.departure_check->expires_after(departure_check_interval);
    l.departure_check->async_wait([this, &l](beast::error_code ec) {
      l.checking = false;
      if (ec) return;
      bool more = false;
      for (auto* c : l.connections) {
        auto& d = c->departure;
        if (!d.watched()) continue;
        char byte;
        auto n = ::recv(c->socket->native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
          more = true;
        } else if (n <= 0) {
          d.leave();
        } else if (d.read_ahead) {
          d.read_ahead();
        } else {
          d.still_there = true;
        }
      }
      if (more) check_departures(l);
    });
  }

  template <class Stream>
  static void read_to_tell(Stream& stream, beast::flat_buffer& buffer, departure_watch& d) {
    d.reading = true;
    if (!d.read_ended) d.read_ended.emplace(stream.get_executor(), std::chrono::steady_clock::time_point::max());
    stream.async_read_some(buffer.prepare(4096), [&buffer, &d](beast::error_code ec, std::size_t got) {
      if (!ec) {
        buffer.commit(got);
        d.still_there = true;
      } else if (ec == asio::error::operation_aborted) {
        d.interrupted = true;
      } else {
        d.leave();
      }
      d.reading = false;
      d.read_ended->cancel();
    });
  }

  template <class Stream>
  awaitable<void> reject(Stream& stream, connection& c, std::string& out, const rejection& why, std::chrono::steady_clock::time_point started) {
    if (why.status == 0) co_return;
    log_debug("Rejected a malformed request", {{"status", why.status}, {"reason", why.message}});
    c.refused = true;
    detail::write_response(out, response::text(why.status, why.message + "\n"), false, false);
    c.limit->expires_after(options.limits.request_headers_timeout);
    co_await asio::async_write(stream, asio::buffer(out), use_tuple);
    record(std::numeric_limits<std::size_t>::max(), why.status, started);
  }

  // What the handler needs beyond what the parser filled in.
  static void complete(request& r, const std::string& remote, bool secure) {
    r.secure = secure;
    r.remote_address = remote;
    auto id = r.headers.find("X-Correlation-ID");
    r.correlation_id = id && acceptable_correlation_id(*id) ? std::string(*id) : new_correlation_id();
  }

  // The request as Beast's WebSocket handshake wants it, when it asks for an upgrade.
  static std::optional<beast_request> websocket_handshake(const request& r, int version) {
    if (!r.headers.find("Upgrade")) return std::nullopt;
    beast_request m{bhttp::string_to_verb(r.method), r.target, version};
    for (const auto& f : r.headers.all()) m.insert(f.name, f.value);
    if (!beast::websocket::is_upgrade(m)) return std::nullopt;
    return m;
  }

  // Hands the request to the dispatcher and suspends until some thread answers it;
  // the answer is posted back to this connection's lane. The exchange is made here, not in the
  // initiation, so the request is moved once into it rather than through every layer of the
  // awaitable's machinery.
  template <class OnDispatched>
  awaitable<std::pair<response, std::size_t>> dispatch(request&& r, lane& l, OnDispatched on_dispatched) {
    auto waiting = std::make_shared<awaiting_answer>(l.context.get_executor());
    auto x = std::make_shared<exchange>(std::move(r), [weak = std::weak_ptr<awaiting_answer>(waiting), &l](response answer, std::size_t route_id) {
      auto w = weak.lock();
      if (!w) return;
      std::lock_guard lock(w->mutex);
      if (w->closed) return; // the server is gone
      asio::post(w->home, [w, &l, answer = std::move(answer), route_id]() mutable {
        l.awaiting.erase(w);
        auto resume = std::move(w->resume);
        if (resume) resume->resume(std::pair<response, std::size_t>(std::move(answer), route_id));
      });
    });
    return asio::async_initiate<decltype(use_awaitable), void(std::pair<response, std::size_t>)>(
        [this, &l, waiting = std::move(waiting), x = std::move(x), on_dispatched = std::move(on_dispatched)](auto handler) mutable {
          waiting->resume = std::make_unique<awaiting_answer::resumer_of<decltype(handler)>>(std::move(handler));
          l.awaiting.insert(std::move(waiting));
          target.dispatch(x);
          on_dispatched(x);
        },
        use_awaitable);
  }

  // What the access log needs of a request, kept only when debug logging is on.
  struct access_record {
    std::string correlation_id;
    std::string trace_id; // the caller's trace, else the correlation id (as onbehalf's calls send it)
    std::string method;
    std::string path;
  };

  static void log_access(const access_record& a, unsigned status, std::chrono::steady_clock::time_point started) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    log_debug("HTTP request",
              {{"cid", a.correlation_id}, {"trace", a.trace_id}, {"method", a.method}, {"path", a.path}, {"status", status}, {"us", micros}});
  }

  void record(std::size_t route_id, unsigned status, std::chrono::steady_clock::time_point started) {
    if (!metrics) return;
    metrics->record(route_id, status, std::chrono::steady_clock::now() - started);
  }

  void stop() {
    if (!running || stopping.exchange(true)) return;
    log_info("Shutting down: finishing requests in flight", {{"connections", open_connections.load()}});
    asio::post(lanes[0]->context, [this] {
      beast::error_code ignored;
      acceptor->close(ignored);
      if (open_connections == 0) return finish(false);
      std::lock_guard lock(finish_mutex);
      if (finished) return;
      shutdown_deadline.emplace(lanes[0]->context, options.limits.shutdown_timeout);
      shutdown_deadline->async_wait([this](beast::error_code ec) {
        if (!ec) finish(true);
      });
    });
    for (auto& l : lanes) {
      asio::post(l->context, [lane = l.get()] {
        for (auto* c : lane->connections)
          if (c->idle) {
            beast::error_code ignored;
            c->socket->cancel(ignored);
          }
      });
    }
  }

  void finish(bool forced) {
    std::lock_guard lock(finish_mutex);
    if (finished) return;
    finished = true;
    if (forced) log_warning("Shutdown timeout reached; closing connections with requests still in flight");
    asio::post(lanes[0]->context, [this] {
      if (shutdown_deadline) shutdown_deadline->cancel();
    });
    take_lanes_back(false); // the clients' pooled connections would otherwise keep the lanes running
    for (auto& l : lanes) {
      asio::post(l->context, [lane = l.get()] { lane->watch.stop(); });
      l->work.reset();
      if (forced) l->context.stop();
    }
  }

  void wait() {
    for (auto& l : lanes)
      if (l->thread.joinable()) l->thread.join();
    take_lanes_back(true); // after a forced stop, the posted hand-backs did not run
    lent_to_clients.clear();
    // After a forced stop, requests may still be waiting for answers: end their connections now,
    // while the I/O contexts exist, and let late answers find them closed.
    for (auto& l : lanes) {
      auto waiting = std::move(l->awaiting);
      l->awaiting.clear();
      for (const auto& w : waiting) {
        std::lock_guard lock(w->mutex);
        w->closed = true;
        auto dropped = std::move(w->resume); // destroys the suspended connection here
      }
    }
    if (running.exchange(false)) log_info("HTTP server stopped");
  }
};

server::server(server_options options, dispatcher& d, request_metrics* metrics) : impl_(std::make_unique<impl>(std::move(options), d, metrics)) {}

server::~server() {
  impl_->stop();
  impl_->wait();
}

result<std::uint16_t, std::string> server::start() { return impl_->start(); }
void server::share_io_threads_with(client& c) { impl_->sharing.push_back(&c); }
void server::stop() { impl_->stop(); }
void server::wait() { impl_->wait(); }
std::uint16_t server::port() const noexcept { return impl_->bound_port; }

} // namespace onbehalf::http
