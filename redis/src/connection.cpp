#include "connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

namespace onbehalf::redis::detail {

namespace {

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Errors that mean the settings are wrong, not that Redis is away.
bool is_refusal(std::string_view text) {
  return text.starts_with("WRONGPASS") || text.starts_with("NOAUTH") || text.starts_with("NOPERM") || text.starts_with("ERR AUTH") ||
         text.starts_with("ERR invalid password") || text.starts_with("ERR Client sent AUTH");
}

} // namespace

connection::connection(asio::io_context& io, const connection_settings& settings, connection_events events)
    : settings_(settings), events_(std::move(events)), resolver_(io), connect_timer_(io), deadline_timer_(io) {
  if (settings_.tls) {
    tls_stream_.emplace(io, *settings_.tls);
  } else {
    plain_.emplace(io);
  }
}

std::string connection::where() const { return settings_.at.host + ":" + std::to_string(settings_.at.port); }

template <class Buffers, class Handler>
void connection::write_all(const Buffers& b, Handler&& h) {
  if (tls_stream_) {
    asio::async_write(*tls_stream_, b, std::forward<Handler>(h));
  } else {
    asio::async_write(*plain_, b, std::forward<Handler>(h));
  }
}

template <class Buffers, class Handler>
void connection::read_some(const Buffers& b, Handler&& h) {
  if (tls_stream_) {
    tls_stream_->async_read_some(b, std::forward<Handler>(h));
  } else {
    plain_->async_read_some(b, std::forward<Handler>(h));
  }
}

void connection::open() {
  connect_timer_.expires_after(settings_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->state_ == state::ready || self->state_ == state::closed) return;
    self->fail_transport(error::kind::unreachable, "could not connect to Redis at " + self->where() + " within " +
                                                       std::to_string(self->settings_.connect_timeout.count()) + " ms");
  });
  resolver_.async_resolve(settings_.at.host, std::to_string(settings_.at.port),
                          [self = shared_from_this()](const boost::system::error_code& ec, const asio::ip::tcp::resolver::results_type& results) {
                            self->on_resolved(ec, results);
                          });
}

void connection::on_resolved(const boost::system::error_code& ec, const asio::ip::tcp::resolver::results_type& results) {
  if (state_ == state::closed) return;
  if (ec) return fail_transport(error::kind::unreachable, "cannot resolve the Redis host " + settings_.at.host + ": " + ec.message());
  state_ = state::connecting;
  auto& socket = tls_stream_ ? tls_stream_->next_layer() : *plain_;
  asio::async_connect(socket, results,
                      [self = shared_from_this()](const boost::system::error_code& ec, const asio::ip::tcp::endpoint&) { self->on_connected(ec); });
}

void connection::on_connected(const boost::system::error_code& ec) {
  if (state_ == state::closed) return;
  if (ec) return fail_transport(error::kind::unreachable, "cannot connect to Redis at " + where() + ": " + ec.message());
  auto& socket = tls_stream_ ? tls_stream_->next_layer() : *plain_;
  boost::system::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  if (!tls_stream_) return authenticate();
  state_ = state::handshaking;
  const auto& name = settings_.server_name.empty() ? settings_.at.host : settings_.server_name;
  // SNI carries host names only; an address is checked against the certificate's IP entries.
  if (!is_ip_address(name)) SSL_set_tlsext_host_name(tls_stream_->native_handle(), name.c_str());
  tls_stream_->set_verify_mode(asio::ssl::verify_peer);
  tls_stream_->set_verify_callback(asio::ssl::host_name_verification(name));
  tls_stream_->async_handshake(asio::ssl::stream_base::client,
                               [self = shared_from_this()](const boost::system::error_code& ec) { self->on_handshake(ec); });
}

void connection::on_handshake(const boost::system::error_code& ec) {
  if (state_ == state::closed) return;
  if (ec) {
    const auto& name = settings_.server_name.empty() ? settings_.at.host : settings_.server_name;
    return fail_transport(error::kind::refused, "TLS with Redis at " + where() + " failed: " + ec.message() +
                                                    " (the server's certificate must be signed by a trusted CA and name " + name + ")");
  }
  authenticate();
}

// AUTH and SELECT go first, pipelined; calls made meanwhile are held until both are answered.
void connection::authenticate() {
  state_ = state::authenticating;
  read();
  std::vector<std::vector<std::string>> steps;
  if (!settings_.password.empty()) {
    if (settings_.user.empty()) {
      steps.push_back({"AUTH", settings_.password.reveal()});
    } else {
      steps.push_back({"AUTH", settings_.user, settings_.password.reveal()});
    }
  }
  if (settings_.database != 0) steps.push_back({"SELECT", std::to_string(settings_.database)});
  steps.push_back({"PING"}); // answers NOAUTH when the server wants a password we do not have
  std::string encoded;
  for (const auto& s : steps) resp::append_command(encoded, s);
  request r;
  r.replies = steps.size();
  r.deadline = clock::now() + settings_.connect_timeout;
  r.done = [self = shared_from_this()](result<reply, error> answer) {
    if (!answer) return; // the connection is closing already
    if (answer->is_error()) {
      auto kind = is_refusal(answer->text) ? error::kind::refused : error::kind::server;
      return self->fail_transport(kind, "Redis at " + self->where() + " refused the connection: " + answer->text);
    }
    self->become_ready();
  };
  waiting_.push_back(std::move(r));
  out_ += encoded;
  flush();
}

void connection::become_ready() {
  if (state_ == state::closed) return;
  state_ = state::ready;
  connect_timer_.cancel();
  // Held calls keep the deadline they were given when made.
  while (!held_.empty()) {
    auto r = std::move(held_.front());
    held_.pop_front();
    out_ += r.encoded;
    r.encoded.clear();
    waiting_.push_back(std::move(r));
  }
  flush();
  watch_deadlines();
  if (events_.ready) events_.ready();
}

void connection::send(std::string encoded, std::size_t count, raw_callback done) {
  if (state_ == state::closed) return done(failure{error{error::kind::unreachable, "the connection to Redis at " + where() + " is closed"}});
  request r;
  r.replies = count;
  r.done = std::move(done);
  r.deadline = clock::now() + settings_.command_timeout;
  if (state_ != state::ready) {
    r.encoded = std::move(encoded);
    held_.push_back(std::move(r));
    watch_deadlines(); // a call's timeout runs from the call, however long connecting takes
    return;
  }
  out_ += encoded;
  waiting_.push_back(std::move(r));
  flush();
  watch_deadlines();
}

void connection::send_unanswered(std::string encoded) {
  if (state_ != state::ready) return;
  out_ += encoded;
  flush();
}

void connection::flush() {
  if (write_in_progress_ || out_.empty() || state_ == state::closed) return;
  write_in_progress_ = true;
  writing_.swap(out_);
  out_.clear();
  write_all(asio::buffer(writing_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) { self->on_written(ec); });
}

void connection::on_written(const boost::system::error_code& ec) {
  write_in_progress_ = false;
  if (state_ == state::closed) return;
  if (ec) return lost(ec);
  writing_.clear();
  flush();
}

void connection::lost(const boost::system::error_code& ec) {
  // TLS 1.3 completes the client's side of the handshake before the server has judged the
  // client's certificate: a server that wants one, or one from another CA, says so with an alert
  // that arrives on the first read. That is a refusal to fix in the TLS settings, like a failed
  // handshake, not Redis being away.
  if (tls_stream_ && state_ == state::authenticating && ec.category() == asio::error::get_ssl_category())
    return fail_transport(error::kind::refused, "TLS with Redis at " + where() + " failed: " + ec.message() +
                                                    " (the server turned down this client's certificate, or the lack of one)");
  auto what = ec == asio::error::eof ? std::string("Redis closed the connection") : ec.message();
  fail_transport(error::kind::unreachable, "lost the connection to Redis at " + where() + ": " + what);
}

void connection::read() {
  read_some(asio::buffer(chunk_), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

void connection::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (state_ == state::closed) return;
  if (ec) return lost(ec);
  in_.append(chunk_.data(), n);
  std::size_t used = 0;
  while (state_ != state::closed) {
    auto p = resp::parse(std::string_view(in_).substr(used), settings_.limits);
    if (p.state == resp::parsed::outcome::incomplete) break;
    if (p.state == resp::parsed::outcome::invalid)
      return fail_transport(error::kind::protocol, "Redis at " + where() + " sent a malformed reply: " + p.problem);
    used += p.used;
    deliver(std::move(p.value));
  }
  if (state_ == state::closed) return;
  in_.erase(0, used);
  read();
}

void connection::deliver(reply r) {
  if (waiting_.empty()) {
    if (events_.push && state_ == state::ready) return events_.push(std::move(r));
    return fail_transport(error::kind::protocol, "Redis at " + where() + " sent a reply nobody asked for");
  }
  auto& front = waiting_.front();
  if (r.is_error() && !front.first_error) front.first_error = r;
  if (--front.replies > 0) return;
  auto done = std::move(front.done);
  auto answer = front.first_error ? std::move(*front.first_error) : std::move(r);
  waiting_.pop_front();
  done(std::move(answer));
}

// One timer per connection, set for the oldest call: replies come in order, so when it has not
// come by its deadline, nothing behind it will either, and the connection is given up. While the
// connection is being made, the connect timer watches AUTH and SELECT, and this one the calls
// held meanwhile (held in the order they were made, so the first is the oldest).
void connection::watch_deadlines() {
  if (deadline_armed_ || state_ == state::closed) return;
  std::optional<clock::time_point> next;
  if (state_ == state::ready && !waiting_.empty()) next = waiting_.front().deadline;
  if (!held_.empty() && (!next || held_.front().deadline < *next)) next = held_.front().deadline;
  if (!next) return;
  deadline_armed_ = true;
  deadline_timer_.expires_at(*next);
  deadline_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    self->deadline_armed_ = false;
    if (ec || self->state_ == state::closed) return;
    auto now = clock::now();
    if (self->state_ == state::ready && !self->waiting_.empty() && self->waiting_.front().deadline <= now)
      return self->fail_transport(error::kind::timeout, "Redis at " + self->where() + " did not answer within " +
                                                            std::to_string(self->settings_.command_timeout.count()) + " ms");
    self->expire_held(now);
    self->watch_deadlines();
  });
}

// A held call was never written, so it can be answered alone, and the connection goes on being
// made for the others.
void connection::expire_held(clock::time_point now) {
  while (!held_.empty() && held_.front().deadline <= now) {
    auto r = std::move(held_.front());
    held_.pop_front();
    if (r.done)
      r.done(failure{error{error::kind::timeout,
                           "Redis at " + where() + " could not be reached within " + std::to_string(settings_.command_timeout.count()) + " ms"}});
    if (state_ == state::closed) return; // the answer may have closed it
  }
}

void connection::fail_transport(error::kind kind, std::string message) { close(error{kind, std::move(message)}); }

void connection::close(const error& why) {
  if (state_ == state::closed) return;
  state_ = state::closed;
  boost::system::error_code ignored;
  resolver_.cancel();
  connect_timer_.cancel();
  deadline_timer_.cancel();
  auto& socket = tls_stream_ ? tls_stream_->next_layer() : *plain_;
  socket.close(ignored);
  auto held = std::move(held_);
  auto waiting = std::move(waiting_);
  held_.clear();
  waiting_.clear();
  // The client hears first, so that a caller who gets the failure finds the client's health
  // already saying what happened. Only what is on this stack is touched after it.
  auto closed = std::move(events_.closed);
  auto reason = why;
  if (closed) closed(reason);
  for (auto& r : waiting)
    if (r.done) r.done(failure{reason});
  for (auto& r : held)
    if (r.done) r.done(failure{reason});
}

} // namespace onbehalf::redis::detail
