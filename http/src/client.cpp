// Beast/Asio implementation of http::client. Each lane (its own I/O thread, or one a server lends
// it) owns its pool, so no pool needs a lock.
#include "onbehalf/http/client.hpp"

#include "beast_support.hpp"
#include "deadlines.hpp"
#include "drained_read.hpp"
#include "onbehalf/core/coarse_clock.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "proxy.hpp"
#include "readers.hpp"
#include "simple_head.hpp"
#include "wire.hpp"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace onbehalf::http {

namespace {

// A request buffer that grew beyond this for one large body is let go afterwards.
constexpr std::size_t retained_request_bytes = 64 * 1024;
// A response head may be as long as Beast's default allows; most answers fit the first read.
constexpr std::size_t response_header_limit = 8 * 1024;
constexpr std::size_t first_read_bytes = 16 * 1024;

failure<client_failure> fail(client_error e, std::string message) { return failure{client_failure{e, std::move(message)}}; }

bool idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

// "http://host:port", the pool's key for a URL: built once per request, in one allocation.
std::string origin(const url& u) {
  bool ipv6 = u.host.find(':') != std::string::npos;
  char port[8];
  auto port_end = std::to_chars(port, port + sizeof port, u.port).ptr;
  std::string o;
  o.reserve(u.scheme.size() + u.host.size() + 12);
  o.append(u.scheme).append("://");
  if (ipv6) {
    o.append(1, '[').append(u.host).append(1, ']');
  } else {
    o.append(u.host);
  }
  return o.append(1, ':').append(port, port_end);
}

// The Host header: the origin after "://", without the scheme's default port.
std::string_view host_header(const url& u, std::string_view origin) {
  auto host = origin.substr(u.scheme.size() + 3);
  bool default_port = u.port == (u.scheme == "https" ? 443 : 80);
  return default_port ? host.substr(0, host.rfind(':')) : host;
}

struct connection {
  std::string origin;
  std::unique_ptr<tcp_socket> plain;
  std::unique_ptr<beast::ssl_stream<tcp_socket>> secure;
  std::optional<detail::deadline> limit; // when the server must next have made progress
  beast::flat_buffer buffer;
  std::string out; // the request on its way out; its capacity serves the next one
  std::chrono::steady_clock::time_point idle_since;
  bool through_proxy = false; // plain http sent to a proxy: requests in absolute form

  tcp_socket& socket() { return plain ? *plain : secure->next_layer(); }
};

// What went wrong in one request/response exchange, and whether the server had answered at all.
struct exchange_failure {
  client_failure failure;
  bool before_response = false;
};

} // namespace

std::optional<url> url::parse(std::string_view text) {
  url u;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  auto scheme = text.substr(0, scheme_end);
  if (text::iequals(scheme, "http")) {
    u.scheme = "http";
  } else if (text::iequals(scheme, "https")) {
    u.scheme = "https";
  } else {
    return std::nullopt;
  }
  auto rest = text.substr(scheme_end + 3);
  // Not find_first_of, which calls memchr on "/?#" for every character: every request's URL is parsed.
  auto authority_end =
      static_cast<std::size_t>(std::find_if(rest.begin(), rest.end(), [](char c) { return c == '/' || c == '?' || c == '#'; }) - rest.begin());
  if (authority_end == rest.size()) authority_end = std::string_view::npos;
  auto authority = rest.substr(0, authority_end);
  u.target = authority_end == std::string_view::npos ? "/" : std::string(rest.substr(authority_end));
  if (auto hash = u.target.find('#'); hash != std::string::npos) u.target.erase(hash);
  if (u.target.empty() || u.target.front() == '?') u.target.insert(0, "/");
  if (!detail::is_request_target(u.target)) return std::nullopt;
  if (authority.find('@') != std::string_view::npos) return std::nullopt; // credentials in URLs leak into logs
  std::string_view port_text;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty() && (after.front() != ':' || after.size() == 1)) return std::nullopt;
    if (!after.empty()) port_text = after.substr(1);
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  if (port_text.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    auto port = text::parse_unsigned(port_text);
    if (!port || *port == 0 || *port > 65535) return std::nullopt;
    u.port = static_cast<std::uint16_t>(*port);
  }
  return u;
}

std::string_view to_string(client_error e) {
  switch (e) {
  case client_error::invalid_url: return "invalid_url";
  case client_error::invalid_request: return "invalid_request";
  case client_error::resolve_failed: return "resolve_failed";
  case client_error::connect_failed: return "connect_failed";
  case client_error::tls_failed: return "tls_failed";
  case client_error::timeout: return "timeout";
  case client_error::connection_closed: return "connection_closed";
  case client_error::response_too_large: return "response_too_large";
  case client_error::malformed_response: return "malformed_response";
  case client_error::cancelled: return "cancelled";
  }
  return "unknown";
}

// Where requests run: the client's own I/O thread, or an I/O thread a server lent it. Each lane
// has its own pool, touched only on its thread, so no pool needs a lock.
struct lane {
  lane(asio::io_context& c, std::chrono::milliseconds tick) : context(c), sweeper(c), watch(c, tick) {}
  asio::io_context& context;
  steady_timer sweeper;
  detail::deadline_watch watch; // before the pool: pooled connections' deadlines end first
  std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>> idle;
  std::unordered_set<connection*> busy;
  bool closing = false;
  std::size_t idle_here = 0;
  std::unordered_set<std::shared_ptr<steady_timer>> waits; // client::after's, cancelled when the lane closes
};
using lane_ptr = std::shared_ptr<lane>;

struct client::impl : std::enable_shared_from_this<impl> {
  client_options options;
  std::optional<detail::proxy_route> proxy;
  asio::io_context context{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  asio::ssl::context tls{asio::ssl::context::tls_client};
  std::thread thread;
  lane_ptr own; // made at start, when the options (and so the deadlines' tick) are known
  std::mutex lent_mutex;
  std::vector<lane_ptr> lent; // lanes on a server's I/O threads, while it lends them
  std::atomic<std::size_t> opened{0};
  std::atomic<std::size_t> idle_count{0};

  result<bool, std::string> configure_tls() {
    beast::error_code ec;
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                    asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    tls.set_default_verify_paths(ec);
    tls.set_verify_mode(asio::ssl::verify_peer);
    if (!options.ca_bundle_path.empty()) {
      tls.load_verify_file(options.ca_bundle_path, ec);
      if (ec) return failure{"cannot load the CA bundle '" + options.ca_bundle_path + "': " + ec.message()};
    }
    return true;
  }

  std::chrono::milliseconds tick() const { return detail::deadline_watch::tick_for(std::min(options.connect_timeout, options.response_timeout)); }

  void start() {
    own = std::make_shared<lane>(context, tick());
    work.emplace(context.get_executor());
    schedule_sweep(own);
    thread = std::thread([this] { context.run(); });
  }

  void stop() {
    // Never started (its TLS settings failed): a close posted now would never run, and its
    // handler, holding this impl, would keep it alive for ever.
    if (!own) return;
    std::vector<lane_ptr> still_lent;
    {
      std::lock_guard lock(lent_mutex);
      still_lent = std::move(lent);
      lent.clear();
    }
    // A lent lane is closed on its own thread; the server that lent it keeps this impl alive
    // until then, and closes it itself when it stops first.
    for (auto& l : still_lent) asio::post(l->context, [self = shared_from_this(), l] { self->close(*l); });
    asio::post(context, [self = shared_from_this()] { self->close(*self->own); });
    work.reset();
    if (thread.joinable()) thread.join();
  }

  // Ends a lane: pooled connections closed, the sweeper stopped, requests in flight ended with
  // connection_closed. On the lane's thread, or once it no longer runs.
  void close(lane& l) {
    if (l.closing) return;
    l.closing = true;
    set_idle(l, 0);
    l.idle.clear();
    l.sweeper.cancel();
    l.watch.stop();
    for (const auto& t : l.waits) t->cancel();
    beast::error_code ignored;
    for (auto* c : l.busy) c->socket().close(ignored);
  }

  // The lane for a request sent from this thread.
  lane_ptr lane_for_caller() {
    if (auto* here = detail::current_io_lane) {
      std::lock_guard lock(lent_mutex);
      for (const auto& l : lent)
        if (&l->context == here) return l;
    }
    return own;
  }

  void schedule_sweep(const lane_ptr& l) {
    l->sweeper.expires_after(std::min(options.idle_timeout, std::chrono::milliseconds(30'000)));
    l->sweeper.async_wait([weak = weak_from_this(), l](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || l->closing) return;
      self->close_expired_idle(*l);
      self->schedule_sweep(l);
    });
  }

  void close_expired_idle(lane& l) {
    auto now = coarse_steady_now();
    std::size_t n = 0;
    for (auto& [_, list] : l.idle) {
      std::erase_if(list, [&](const auto& c) { return now - c->idle_since >= options.idle_timeout; });
      n += list.size();
    }
    set_idle(l, n);
  }

  void set_idle(lane& l, std::size_t n) {
    idle_count += n - l.idle_here; // wraps correctly for a decrease: unsigned arithmetic
    l.idle_here = n;
  }

  std::unique_ptr<connection> take_idle(lane& l, const std::string& key) {
    auto it = l.idle.find(key);
    if (it == l.idle.end()) return nullptr;
    auto now = coarse_steady_now();
    while (!it->second.empty()) {
      auto c = std::move(it->second.back());
      it->second.pop_back();
      set_idle(l, l.idle_here - 1);
      if (now - c->idle_since < options.idle_timeout) return c;
    }
    return nullptr;
  }

  void put_idle(lane& l, std::unique_ptr<connection> c) {
    if (l.closing) return;
    auto& list = l.idle[c->origin];
    if (list.size() >= options.max_idle_per_host) return;
    c->idle_since = coarse_steady_now();
    list.push_back(std::move(c));
    set_idle(l, l.idle_here + 1);
  }

  // CONNECT through the proxy; TLS then runs end to end inside the tunnel. Nothing may follow
  // the proxy's answer before the TLS handshake: a proxy that sends more is not trusted.
  awaitable<std::optional<client_failure>> open_tunnel(connection& c, const url& u, const std::string& where) {
    auto at = "the proxy " + proxy->address.host + ":" + std::to_string(proxy->address.port);
    auto request = proxy->connect_request(u);
    auto [write_ec, written] = co_await asio::async_write(c.socket(), asio::buffer(request), use_tuple);
    if (write_ec && c.limit->passed()) co_return client_failure{client_error::timeout, at + " did not answer in time"};
    if (write_ec) co_return client_failure{client_error::connect_failed, at + " closed the connection: " + write_ec.message()};
    asio::streambuf answer(8 * 1024);
    auto [read_ec, head_size] = co_await asio::async_read_until(c.socket(), answer, "\r\n\r\n", use_tuple);
    if (read_ec && c.limit->passed()) co_return client_failure{client_error::timeout, at + " did not answer in time"};
    if (read_ec) co_return client_failure{client_error::connect_failed, at + " did not open a tunnel to " + where + ": " + read_ec.message()};
    std::string head(asio::buffers_begin(answer.data()), asio::buffers_begin(answer.data()) + static_cast<std::ptrdiff_t>(head_size));
    auto status = detail::tunnel_status(head);
    if (!status || answer.size() != head_size)
      co_return client_failure{client_error::malformed_response, at + " answered CONNECT with something that is not HTTP"};
    if (*status / 100 != 2)
      co_return client_failure{client_error::connect_failed,
                               at + " refused a tunnel to " + where + " (HTTP " + std::to_string(*status) + ")" +
                                   (*status == 407 ? ": it wants credentials, given as http://user:password@host:port in the proxy address" : "")};
    co_return std::nullopt;
  }

  awaitable<result<std::unique_ptr<connection>, client_failure>> open(lane& l, const url& u, const std::string& key) {
    auto where = u.host + ":" + std::to_string(u.port);
    const url* dial = &u;
    bool proxied = proxy && !proxy->bypasses(u.host);
    if (proxied) dial = &proxy->address;
    auto dialed = dial->host + ":" + std::to_string(dial->port) + (proxied ? " (the proxy, for " + where + ")" : "");
    tcp_resolver resolver(l.context);
    auto [resolve_ec, endpoints] = co_await resolver.async_resolve(dial->host, std::to_string(dial->port), use_tuple);
    if (resolve_ec) co_return fail(client_error::resolve_failed, "cannot resolve " + dial->host + ": " + resolve_ec.message());
    if (l.closing) co_return fail(client_error::connection_closed, "the HTTP client is shutting down");

    auto c = std::make_unique<connection>();
    c->origin = key;
    if (u.scheme == "https") {
      c->secure = std::make_unique<beast::ssl_stream<tcp_socket>>(l.context, tls);
    } else {
      c->plain = std::make_unique<tcp_socket>(l.context);
    }
    c->limit.emplace(l.watch, c->socket());
    l.busy.insert(c.get());
    struct release {
      lane& l;
      connection* c;
      ~release() { l.busy.erase(c); }
    } guard{l, c.get()};

    c->limit->expires_after(options.connect_timeout);
    auto [connect_ec, endpoint] = co_await asio::async_connect(c->socket(), endpoints, use_tuple);
    if (connect_ec && c->limit->passed()) co_return fail(client_error::timeout, "connecting to " + dialed + " timed out");
    if (connect_ec) co_return fail(client_error::connect_failed, "cannot connect to " + dialed + ": " + connect_ec.message());
    c->socket().set_option(tcp::no_delay(true), connect_ec); // requests are written whole: no reason to wait
    c->through_proxy = proxied && !c->secure;
    if (proxied && c->secure) {
      auto tunnel = co_await open_tunnel(*c, u, where);
      if (tunnel) co_return failure{std::move(*tunnel)};
    }
    if (c->secure) {
      beast::error_code not_an_address;
      asio::ip::make_address(u.host, not_an_address);
      // SNI for names only; the certificate is checked against the name or IP address either way.
      if (not_an_address) SSL_set_tlsext_host_name(c->secure->native_handle(), u.host.c_str());
      c->secure->set_verify_callback(asio::ssl::host_name_verification(u.host));
      auto [handshake_ec] = co_await c->secure->async_handshake(asio::ssl::stream_base::client, use_tuple);
      if (handshake_ec && c->limit->passed()) co_return fail(client_error::timeout, "the TLS handshake with " + where + " timed out");
      if (handshake_ec)
        co_return fail(client_error::tls_failed,
                       "TLS with " + where + " failed: " + handshake_ec.message() + " (is its certificate trusted and issued for " + u.host + "?)");
    }
    opened.fetch_add(1);
    co_return std::move(c);
  }

  template <class Stream>
  awaitable<result<client_response, exchange_failure>> exchange_on(Stream& stream, connection& c, const client_request& r, const url& u,
                                                                   std::string_view host, std::optional<std::chrono::milliseconds> timeout) {
    if (c.through_proxy) {
      // A proxy takes plain http in absolute form, and its credentials with each request.
      auto target = "http://" + std::string(host) + u.target;
      if (proxy->authorization.empty()) {
        detail::write_request(c.out, r.method, target, host, r.headers, r.body);
      } else {
        auto headers = r.headers;
        headers.set("Proxy-Authorization", proxy->authorization);
        detail::write_request(c.out, r.method, target, host, headers, r.body);
      }
    } else {
      detail::write_request(c.out, r.method, u.target, host, r.headers, r.body);
    }
    c.limit->expires_after(timeout ? *timeout : r.response_timeout.value_or(options.response_timeout));
    auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(c.out), use_tuple);
    if (c.out.capacity() > retained_request_bytes) std::string().swap(c.out);
    auto where = [&u] { return u.host + ":" + std::to_string(u.port); };
    auto failed = [&](client_error e, std::string message, bool before_response) {
      return failure{exchange_failure{client_failure{e, std::move(message)}, before_response}};
    };
    if (write_ec && c.limit->passed()) co_return failed(client_error::timeout, where() + " did not take the request in time", false);
    if (write_ec) co_return failed(client_error::connection_closed, where() + " closed the connection: " + write_ec.message(), true);

    // Interim answers (100 Continue, 103 Early Hints) come before the real one: read past them,
    // or the real answer would wait in the buffer for the next request on this connection.
    auto too_large = [&] {
      return failed(client_error::response_too_large, where() + " sent more than " + std::to_string(options.max_response_bytes) + " bytes", false);
    };
    auto timed_out = [&] { return failed(client_error::timeout, where() + " did not answer in time", false); };
    auto cut_short = [&] { return failed(client_error::connection_closed, where() + " closed the connection in the middle of its answer", false); };
    client_response response;
    bool reusable = true;
    bool end_may_hide = false; // after a short drained read, for the rest of this exchange (drained_read.hpp)
    auto end_already_came = [&] { return end_may_hide && detail::end_waits_unseen(c.socket().native_handle()); };
    for (;;) {
      response = client_response{};
      // An answer with a Content-Length (most APIs') is read here without Beast (simple_head.hpp).
      // Beast reads on from what is buffered, so the bytes read here are not lost when it takes
      // over. A first read that fails ends the exchange here: Asio waits for a new event before
      // it reads a socket again after a failed read, and a closed socket raises none.
      if (r.method != "HEAD") {
        if (c.buffer.size() == 0) {
          // After an interim answer read from the buffer, the end may still hide behind it.
          if (end_already_came()) co_return failed(client_error::connection_closed, where() + " closed the connection before answering", true);
          beast::error_code ec;
          std::size_t n = 0;
          if constexpr (std::is_same_v<Stream, tcp_socket>) {
            std::tie(ec, n) = co_await stream.async_read_some(detail::drained_read_buffer(c.buffer.prepare(first_read_bytes)), use_tuple);
            end_may_hide = !ec && n < first_read_bytes;
          } else {
            std::tie(ec, n) = co_await stream.async_read_some(c.buffer.prepare(first_read_bytes), use_tuple);
          }
          if (ec && c.limit->passed()) co_return timed_out();
          if (ec) co_return failed(client_error::connection_closed, where() + " closed the connection before answering: " + ec.message(), true);
          c.buffer.commit(n);
        }
        std::string_view arrived(static_cast<const char*>(c.buffer.data().data()), c.buffer.size());
        if (auto head = detail::read_simple_response_head(arrived, response_header_limit, response)) {
          if (head->content_length > options.max_response_bytes) co_return too_large();
          // What the first read brought is copied; the rest of the body is read straight into the
          // response, so the connection's buffer (kept while it is pooled) stays its usual size.
          auto length = static_cast<std::size_t>(head->content_length);
          auto buffered = std::min(c.buffer.size() - head->size, length);
          response.body.resize(length);
          std::memcpy(response.body.data(), arrived.data() + head->size, buffered);
          c.buffer.consume(head->size + buffered);
          if (buffered < length) {
            if (end_already_came()) co_return cut_short();
            auto [ec, n] = co_await asio::async_read(stream, asio::buffer(response.body.data() + buffered, length - buffered), use_tuple);
            if (ec && c.limit->passed()) co_return timed_out();
            if (ec) co_return cut_short();
          }
          reusable = head->keep_alive;
          break;
        }
      }
      detail::response_reader parser(response);
      parser.header_limit(response_header_limit);
      parser.body_limit(options.max_response_bytes);
      if (r.method == "HEAD") parser.skip(true);
      beast::error_code read_ec;
      if (end_already_came()) {
        bhttp::read(stream, c.buffer, parser, read_ec); // cannot wait: all there is to read is there
      } else {
        auto [ec, n] = co_await bhttp::async_read(stream, c.buffer, parser, use_tuple);
        read_ec = ec;
      }
      if (read_ec && c.limit->passed()) co_return timed_out();
      if (read_ec == bhttp::error::body_limit) co_return too_large();
      if (read_ec) {
        bool nothing = !parser.got_some();
        bool closed = read_ec == bhttp::error::end_of_stream || read_ec == asio::error::connection_reset || read_ec == asio::error::eof ||
                      read_ec == asio::error::operation_aborted || read_ec == asio::error::bad_descriptor;
        if (closed || nothing)
          co_return failed(client_error::connection_closed, where() + " closed the connection before answering: " + read_ec.message(), nothing);
        if (read_ec == bhttp::error::partial_message) co_return cut_short();
        co_return failed(client_error::malformed_response, where() + " sent a malformed response: " + read_ec.message(), false);
      }
      reusable = parser.keep_alive();
      if (response.status < 100 || response.status >= 200 || response.status == 101) break;
    }
    c.limit->expires_never();
    // Not reusable: the server will close, switched protocols, or sent bytes nobody asked for
    // (the next request would take them for its answer).
    if (!reusable || response.status == 101 || c.buffer.size() != 0) c.origin.clear();
    co_return response;
  }

  // A request's link to its caller's cancellation: the socket it is using, closed on the lane's
  // thread when the cancellation comes. Forgotten when the request ends.
  struct cancel_state {
    tcp_socket* socket = nullptr; // touched only on the lane's thread, like `requested`
    bool requested = false;
  };
  struct cancel_link {
    std::shared_ptr<cancel_state> state = std::make_shared<cancel_state>();
    cancellation_ptr from;
    std::uint64_t key = 0;

    // A weak client: a cancellation that comes as the client closes posts nowhere.
    cancel_link(std::weak_ptr<impl> client, const lane_ptr& l, cancellation_ptr c) : from(std::move(c)) {
      if (!from) return;
      key = from->on_cancel([client = std::move(client), l, state = state] {
        if (!client.lock()) return;
        asio::post(l->context, [state] {
          state->requested = true;
          beast::error_code ignored;
          if (state->socket) state->socket->close(ignored);
        });
      });
    }
    cancel_link(const cancel_link&) = delete;
    cancel_link& operator=(const cancel_link&) = delete;
    ~cancel_link() {
      if (from) from->forget(key);
    }
    bool requested() const { return state->requested || (from && from->requested()); }
  };

  // `l` is held by value: the lane outlives this request even if the client is closed meanwhile.
  // The request is held by value (send's usual case) or shared (a caller that may send it again);
  // `timeout`, when set, overrides its response timeout.
  static const client_request& request_in(const client_request& r) { return r; }
  static const client_request& request_in(const std::shared_ptr<const client_request>& r) { return *r; }

  template <class Held>
  awaitable<void> run(lane_ptr l, Held held, std::optional<std::chrono::milliseconds> timeout, completion done) {
    const client_request& r = request_in(held);
    auto u = url::parse(r.url);
    if (!u) {
      done(fail(client_error::invalid_url,
                "'" + r.url + "' is not an absolute http or https URL (spaces and control characters must be percent-encoded)"));
      co_return;
    }
    if (!detail::is_token(r.method)) {
      done(fail(client_error::invalid_request, "'" + r.method + "' is not an HTTP method"));
      co_return;
    }
    auto key = origin(*u);
    cancel_link stop(weak_from_this(), l, r.cancel_with);
    auto cancelled = [] { return fail(client_error::cancelled, "the request was cancelled: the caller no longer wants its answer"); };
    if (stop.requested()) {
      done(cancelled());
      co_return;
    }
    for (int attempt = 0;; ++attempt) {
      auto c = l->closing ? nullptr : take_idle(*l, key);
      bool reused = c != nullptr;
      if (!c) {
        if (l->closing) {
          done(fail(client_error::connection_closed, "the HTTP client is shutting down"));
          co_return;
        }
        auto made = co_await open(*l, *u, key);
        if (!made) {
          done(failure{made.error()});
          co_return;
        }
        c = std::move(*made);
      }
      if (stop.requested()) {
        put_idle(*l, std::move(c)); // unused: as good as it was
        done(cancelled());
        co_return;
      }
      l->busy.insert(c.get());
      stop.state->socket = &c->socket();
      // Not a conditional expression: g++ 12 destroys temporaries twice around co_await in `?:`.
      result<client_response, exchange_failure> outcome = failure{exchange_failure{}};
      if (c->secure) {
        outcome = co_await exchange_on(*c->secure, *c, r, *u, host_header(*u, key), timeout);
      } else {
        outcome = co_await exchange_on(*c->plain, *c, r, *u, host_header(*u, key), timeout);
      }
      l->busy.erase(c.get());
      stop.state->socket = nullptr;
      if (stop.requested()) {
        done(cancelled()); // its connection was closed mid-exchange: not pooled
        co_return;
      }
      if (outcome) {
        if (!c->origin.empty()) put_idle(*l, std::move(c));
        done(std::move(*outcome));
        co_return;
      }
      // A pooled connection the server had already closed: safe to try once more, but only
      // for requests that mean the same when repeated.
      if (reused && outcome.error().before_response && idempotent(r.method) && attempt == 0 && !l->closing) continue;
      done(failure{outcome.error().failure});
      co_return;
    }
  }
};

std::shared_ptr<void> detail::lane_access::attach(client& c, const std::vector<asio::io_context*>& contexts) {
  auto& i = *c.impl_;
  std::lock_guard lock(i.lent_mutex);
  for (auto* context : contexts) {
    auto l = std::make_shared<lane>(*context, i.tick());
    i.lent.push_back(l);
    asio::post(*context, [self = c.impl_, l] { self->schedule_sweep(l); });
  }
  return c.impl_;
}

void detail::lane_access::detach(const std::shared_ptr<void>& attachment, asio::io_context& context) {
  auto& i = *static_cast<client::impl*>(attachment.get());
  lane_ptr l;
  {
    std::lock_guard lock(i.lent_mutex);
    auto it = std::find_if(i.lent.begin(), i.lent.end(), [&](const lane_ptr& x) { return &x->context == &context; });
    if (it == i.lent.end()) return;
    l = *it;
    i.lent.erase(it);
  }
  i.close(*l);
}

result<std::unique_ptr<client>, std::string> client::create(client_options options) {
  std::unique_ptr<client> c(new client());
  c->impl_ = std::make_shared<impl>();
  c->impl_->options = std::move(options);
  auto proxy = detail::proxy_route::from(c->impl_->options.proxy, c->impl_->options.no_proxy);
  if (!proxy) return failure{proxy.error()};
  c->impl_->proxy = std::move(*proxy);
  if (auto configured = c->impl_->configure_tls(); !configured) return failure{configured.error()};
  c->impl_->start();
  return c;
}

client::~client() {
  if (impl_) impl_->stop();
}

namespace {

void report_unexpected(std::exception_ptr e) {
  if (e) log_error("An outgoing HTTP request failed unexpectedly", {{"error", what_of(e)}});
}

} // namespace

void client::send(client_request request, completion done) {
  auto self = impl_;
  auto l = self->lane_for_caller();
  auto& context = l->context;
  asio::co_spawn(context, self->run(std::move(l), std::move(request), std::nullopt, std::move(done)), report_unexpected);
}

void client::send(std::shared_ptr<const client_request> request, completion done, std::optional<std::chrono::milliseconds> response_timeout) {
  auto self = impl_;
  auto l = self->lane_for_caller();
  auto& context = l->context;
  asio::co_spawn(context, self->run(std::move(l), std::move(request), response_timeout, std::move(done)), report_unexpected);
}

void client::after(std::chrono::milliseconds delay, std::function<void()> call) {
  auto l = impl_->lane_for_caller();
  asio::post(l->context, [l, delay, call = std::move(call)]() mutable {
    if (l->closing) return call();
    auto timer = std::make_shared<steady_timer>(l->context);
    l->waits.insert(timer);
    timer->expires_after(delay);
    timer->async_wait([l, timer, call = std::move(call)](beast::error_code) {
      l->waits.erase(timer);
      call();
    });
  });
}

std::size_t client::connections_opened() const noexcept { return impl_->opened.load(); }
std::size_t client::idle_connections() const noexcept { return impl_->idle_count.load(); }

} // namespace onbehalf::http
