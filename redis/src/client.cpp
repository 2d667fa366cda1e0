#include "onbehalf/redis/client.hpp"

#include "cluster_map.hpp"
#include "connection.hpp"

#include "onbehalf/redis/slots.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace onbehalf::redis {

using detail::connection;
namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

// A cluster answers MOVED while a slot changes hands; a few hops settle it, more is a loop.
constexpr int max_redirections = 5;
constexpr int max_try_again = 20;
constexpr std::chrono::milliseconds try_again_delay{25};

std::string name_of(const endpoint& e) { return e.host + ":" + std::to_string(e.port); }

} // namespace

struct client::impl : std::enable_shared_from_this<client::impl> {
  // One node of the deployment, and the connections to it.
  struct node {
    endpoint at;
    std::vector<std::shared_ptr<connection>> pool;
    clock::time_point next_attempt{};
    std::chrono::milliseconds delay{0};
    // Why the last connection failed, until one works again: while the node is backed off,
    // calls are answered with it, so a refusal (password, ACL, TLS) stays a refusal.
    std::optional<error> last_failure;
  };

  // One call on its way, through redirections and retries.
  struct call_state {
    std::string key;
    std::vector<std::string> arguments;
    reply_callback done;
    int redirections = 0;
    int tries = 0;
  };
  using call_ptr = std::shared_ptr<call_state>;

  struct subscription {
    std::function<void(std::string)> on_message;
    std::function<void()> on_gap;
    bool subscribed_before = false;
    bool confirmed = false; // Redis confirmed it on the current subscriber connection
  };

  client_options options;
  std::string where;
  std::optional<asio::ssl::context> tls;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::atomic<bool> stopping{false};

  std::map<std::string, std::unique_ptr<node>> nodes; // by host:port
  std::vector<node*> slots;                           // cluster: the owner of each slot, once known
  bool refreshing_slots = false;
  clock::time_point slots_refreshed{};
  std::deque<call_ptr> awaiting_slots;
  std::size_t next_seed = 0;

  std::map<std::string, subscription> subscriptions;
  std::shared_ptr<connection> subscriber;
  node* subscriber_node = nullptr;
  clock::time_point subscriber_next_attempt{};
  std::chrono::milliseconds subscriber_delay{0};
  clock::time_point subscriber_heard{};
  asio::steady_timer subscriber_timer{io};
  bool subscription_refused = false; // the last SUBSCRIBE was turned down; tried again with each PING

  mutable std::mutex health_mutex;
  mutable std::condition_variable contact;
  health state;
  bool contacted = false;
  std::optional<std::string> subscription_refusal; // why Redis turned the subscription down, until it takes it
  bool subscription_answered = false;              // Redis has taken or refused the subscriptions once
  std::atomic<bool> has_subscriptions{false};
  std::function<void()> on_reachable;

  std::atomic<std::size_t> commands{0}, failures{0}, opened{0}, redirected{0};
  std::minstd_rand jitter{std::random_device{}()};

  // --- connections ---

  detail::connection_settings settings_for(const endpoint& at) {
    detail::connection_settings s;
    s.at = at;
    s.user = options.user;
    s.password = options.password;
    s.database = options.cluster ? 0 : options.database;
    s.tls = tls ? &*tls : nullptr;
    s.server_name = options.tls.server_name;
    s.connect_timeout = options.connect_timeout;
    s.command_timeout = options.command_timeout;
    return s;
  }

  node& node_at(const endpoint& at) {
    auto& n = nodes[name_of(at)];
    if (!n) {
      n = std::make_unique<node>();
      n->at = at;
    }
    return *n;
  }

  std::chrono::milliseconds next_delay(std::chrono::milliseconds current) {
    auto base = current.count() == 0 ? options.reconnect_delay : std::min(current * 2, options.max_reconnect_delay);
    // Instances that lost Redis together should not all come back in the same millisecond.
    auto spread = std::uniform_int_distribution<long long>(0, std::max<long long>(1, base.count() / 4))(jitter);
    return std::min(base + std::chrono::milliseconds(spread), options.max_reconnect_delay);
  }

  std::shared_ptr<connection> open_connection(node& n, detail::connection_events extra = {}) {
    auto weak = weak_from_this();
    auto* at = &n;
    detail::connection_events events;
    events.ready = [weak, at, extra] {
      if (auto self = weak.lock()) self->reachable(*at);
      if (extra.ready) extra.ready();
    };
    events.closed = [weak, at, extra](const error& why) {
      if (auto self = weak.lock()) self->connection_closed(*at, why);
      if (extra.closed) extra.closed(why);
    };
    events.push = extra.push;
    auto c = std::make_shared<connection>(io, settings_for(n.at), std::move(events));
    opened.fetch_add(1);
    c->open();
    return c;
  }

  // Redis answered on a connection to the node: whatever backoff it was in is over. The next
  // call connects at once rather than being refused until a delay set while Redis was away runs
  // out, which may be seconds after Redis is back.
  void reachable(node& n) {
    n.delay = std::chrono::milliseconds(0);
    n.next_attempt = {};
    n.last_failure.reset();
    note_health(health::state::connected, {});
    if (on_reachable) on_reachable();
  }

  void connection_closed(node& n, const error& why) {
    if (stopping) return;
    // When no connection of the node works any more, the node backs off before the next attempt.
    // Redis runs one command at a time: when it let one connection wait past the timeout, the
    // others that look ready are waiting too.
    bool any_ready = false;
    for (auto& c : n.pool) any_ready = any_ready || c->is_ready();
    if (!any_ready || why.what == error::kind::timeout) {
      n.delay = next_delay(n.delay);
      n.next_attempt = clock::now() + n.delay;
      n.last_failure = why;
      note_health(why.what == error::kind::refused ? health::state::refused : health::state::unreachable, why.message);
    }
  }

  // The least busy ready connection of the node, opening another while the pool has room.
  std::shared_ptr<connection> connection_for(node& n) {
    std::erase_if(n.pool, [](const auto& c) { return c->is_closed(); });
    std::shared_ptr<connection> best, pending;
    for (auto& c : n.pool) {
      auto& slot = c->is_ready() ? best : pending;
      if (!slot || c->outstanding() < slot->outstanding()) slot = c;
    }
    bool room = n.pool.size() < std::max<std::size_t>(1, options.connections_per_node);
    bool busy = !best || best->outstanding() > 0;
    if (room && busy && !pending && clock::now() >= n.next_attempt) {
      n.pool.push_back(open_connection(n));
      if (!best) return n.pool.back();
    }
    return best ? best : pending;
  }

  // --- routing ---

  node* node_for_key(std::string_view key) {
    if (!options.cluster) return &node_at(options.endpoints.front());
    if (key.empty()) return any_node();
    if (slots.empty()) return nullptr;
    return slots[slot_of(key)];
  }

  // A node to ask anything of: one with a ready connection, else the next seed in turn.
  node* any_node() {
    for (auto& [_, n] : nodes)
      for (auto& c : n->pool)
        if (c->is_ready()) return n.get();
    return &node_at(options.endpoints[next_seed++ % options.endpoints.size()]);
  }

  void route(const call_ptr& c, node* ask = nullptr) {
    if (stopping) return finish(c, failure{error{error::kind::closed, "the Redis client is shutting down"}});
    node* n = ask ? ask : node_for_key(c->key);
    if (!n) {
      awaiting_slots.push_back(c);
      return refresh_slots();
    }
    auto conn = connection_for(*n);
    if (!conn) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(n->next_attempt - clock::now());
      auto again = "; trying again in " + std::to_string(std::max<long long>(0, wait.count())) + " ms";
      // Refused stays refused between attempts: it is a setting to fix, not Redis being away.
      if (n->last_failure && n->last_failure->what == error::kind::refused)
        return finish(c, failure{error{error::kind::refused, n->last_failure->message + again}});
      return finish(c, failure{error{error::kind::unreachable, "Redis at " + name_of(n->at) + " is unreachable" + again}});
    }
    std::string encoded;
    std::size_t count = 1;
    if (ask) {
      resp::append_command(encoded, {"ASKING"});
      count = 2;
    }
    resp::append_command(encoded, c->arguments);
    auto weak = weak_from_this();
    conn->send(std::move(encoded), count, [weak, c, n](result<reply, error> r) {
      if (auto self = weak.lock()) self->on_reply(c, std::move(r), *n);
    });
  }

  void on_reply(const call_ptr& c, result<reply, error> r, node& from) {
    if (!r) return finish(c, std::move(r));
    if (from.last_failure) reachable(from); // the answer of a connection that outlived a failure
    if (!r->is_error()) return finish(c, std::move(r));
    const auto& text = r->text;
    if (options.cluster && (text.starts_with("MOVED ") || text.starts_with("ASK "))) return redirect(c, text);
    if (text.starts_with("TRYAGAIN") && ++c->tries <= max_try_again) {
      // A multi-key command met a slot in the middle of a migration: it settles in moments.
      auto timer = std::make_shared<asio::steady_timer>(io, try_again_delay);
      timer->async_wait([self = shared_from_this(), c, timer](const boost::system::error_code& ec) {
        if (!ec) self->route(c);
      });
      return;
    }
    auto kind = text.starts_with("NOPERM") || text.starts_with("NOAUTH") || text.starts_with("WRONGPASS")          ? error::kind::refused
                : text.starts_with("LOADING") || text.starts_with("CLUSTERDOWN") || text.starts_with("MASTERDOWN") ? error::kind::unreachable
                                                                                                                   : error::kind::server;
    finish(c, failure{error{kind, "Redis at " + where + " answered: " + text}});
  }

  // MOVED: the slot has a new owner for good; ASK: ask that node once, this time only.
  void redirect(const call_ptr& c, const std::string& text) {
    auto target = detail::parse_redirection(text);
    if (!target || ++c->redirections > max_redirections)
      return finish(c, failure{error{error::kind::server, "Redis Cluster kept redirecting a command (last: " + text + ")"}});
    redirected.fetch_add(1);
    auto& to = node_at(target->to);
    if (target->moved) {
      if (slots.size() == slot_count) slots[target->slot] = &to;
      refresh_slots_soon();
      return route(c);
    }
    route(c, &to);
  }

  void finish(const call_ptr& c, result<reply, error> r) {
    if (!r && r.error().what != error::kind::server && r.error().what != error::kind::refused) failures.fetch_add(1);
    auto done = std::move(c->done);
    done(std::move(r));
  }

  // --- the cluster's slots ---

  void refresh_slots_soon() {
    if (clock::now() - slots_refreshed > std::chrono::seconds(1)) refresh_slots();
  }

  void refresh_slots() {
    if (refreshing_slots) return;
    refreshing_slots = true;
    ask_for_slots(0);
  }

  // Asks the known nodes in turn (seeds first); the first good answer becomes the map.
  void ask_for_slots(std::size_t attempt) {
    std::vector<endpoint> candidates = options.endpoints;
    for (auto& [_, n] : nodes) candidates.push_back(n->at);
    if (attempt >= candidates.size()) {
      refreshing_slots = false;
      return fail_awaiting("no Redis Cluster node could say which node holds which slot");
    }
    auto& n = node_at(candidates[(next_seed + attempt) % candidates.size()]);
    auto conn = connection_for(n);
    if (!conn) return ask_for_slots(attempt + 1);
    std::string encoded;
    resp::append_command(encoded, {"CLUSTER", "SLOTS"});
    auto weak = weak_from_this();
    auto asked = n.at;
    conn->send(std::move(encoded), 1, [weak, attempt, asked](result<reply, error> r) {
      auto self = weak.lock();
      if (!self) return;
      auto map = r ? detail::parse_cluster_slots(*r, asked) : failure{r.error().message};
      if (!map) {
        self->note_health(health::state::unreachable, "cannot read the cluster's slots from " + name_of(asked) + ": " + map.error());
        return self->ask_for_slots(attempt + 1);
      }
      self->use_slots(*map);
    });
  }

  void use_slots(const detail::slot_map& map) {
    slots.assign(slot_count, nullptr);
    for (const auto& range : map.ranges)
      for (auto s = range.first; s <= range.last; ++s) slots[s] = &node_at(range.owner);
    refreshing_slots = false;
    slots_refreshed = clock::now();
    auto waiting = std::move(awaiting_slots);
    awaiting_slots.clear();
    for (auto& c : waiting) {
      if (!node_for_key(c->key)) {
        finish(c, failure{error{error::kind::unreachable, "no Redis Cluster node serves the slot of this key"}});
        continue;
      }
      route(c);
    }
  }

  void fail_awaiting(const std::string& why) {
    auto waiting = std::move(awaiting_slots);
    awaiting_slots.clear();
    for (auto& c : waiting) finish(c, failure{error{error::kind::unreachable, why}});
  }

  // --- publish and subscribe ---

  void ensure_subscriber() {
    if (stopping || subscriptions.empty() || subscriber) return;
    auto now = clock::now();
    if (now < subscriber_next_attempt) return schedule_subscriber(subscriber_next_attempt - now);
    auto* n = any_node();
    auto weak = weak_from_this();
    detail::connection_events extra;
    extra.ready = [weak] {
      if (auto self = weak.lock()) self->subscribe_all();
    };
    extra.closed = [weak](const error&) {
      if (auto self = weak.lock()) self->subscriber_lost();
    };
    extra.push = [weak](reply r) {
      if (auto self = weak.lock()) self->on_push(std::move(r));
    };
    subscriber_node = n;
    subscriber = open_connection(*n, std::move(extra));
  }

  void schedule_subscriber(clock::duration after) {
    subscriber_timer.expires_after(after);
    subscriber_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      if (self->subscriber) return self->check_subscriber();
      self->ensure_subscriber();
    });
  }

  void subscribe_all() {
    for (auto& [_, s] : subscriptions) s.confirmed = false;
    subscribe_unconfirmed();
    subscriber_delay = std::chrono::milliseconds(0);
    subscriber_heard = clock::now();
    schedule_subscriber(options.subscriber_ping_interval);
  }

  void subscribe_unconfirmed() {
    std::vector<std::string> command{"SUBSCRIBE"};
    for (auto& [channel, s] : subscriptions)
      if (!s.confirmed) command.push_back(channel);
    if (command.size() == 1) return;
    std::string encoded;
    resp::append_command(encoded, command);
    subscriber->send_unanswered(std::move(encoded));
  }

  // A subscription that has gone quiet is tested with PING; one that stays quiet is replaced.
  void check_subscriber() {
    if (!subscriber) return ensure_subscriber();
    if (clock::now() - subscriber_heard > 2 * options.subscriber_ping_interval) {
      subscriber->close(error{error::kind::timeout, "the Redis subscription stopped answering PING"});
      return;
    }
    // An ACL may be given the channel while we run: no restart needed to take it up.
    if (subscription_refused) subscribe_unconfirmed();
    std::string encoded;
    resp::append_command(encoded, {"PING"});
    subscriber->send_unanswered(std::move(encoded));
    schedule_subscriber(options.subscriber_ping_interval);
  }

  void subscriber_lost() {
    subscriber.reset();
    if (stopping) return;
    subscriber_delay = next_delay(subscriber_delay);
    subscriber_next_attempt = clock::now() + subscriber_delay;
    schedule_subscriber(subscriber_delay);
  }

  void on_push(reply r) {
    subscriber_heard = clock::now();
    // The subscription outlived the node's other connections (a pause, a timeout): Redis is
    // answering again, so the node's backoff ends here too.
    if (subscriber_node && subscriber_node->last_failure) reachable(*subscriber_node);
    if (r.is_error()) return subscription_turned_down(r.text);
    if (!r.is_array() || r.elements.empty()) return;
    const auto& kind = r.elements[0].text;
    if (kind == "message" && r.elements.size() == 3) {
      auto it = subscriptions.find(r.elements[1].text);
      if (it != subscriptions.end() && it->second.on_message) it->second.on_message(std::move(r.elements[2].text));
      return;
    }
    if (kind == "subscribe" && r.elements.size() == 3) {
      auto it = subscriptions.find(r.elements[1].text);
      if (it == subscriptions.end()) return;
      // Anything published while the subscription was down is lost: the subscriber catches up.
      if (it->second.subscribed_before && it->second.on_gap) it->second.on_gap();
      it->second.subscribed_before = true;
      it->second.confirmed = true;
      if (std::all_of(subscriptions.begin(), subscriptions.end(), [](const auto& s) { return s.second.confirmed; })) {
        subscription_refused = false;
        std::lock_guard lock(health_mutex);
        subscription_refusal.reset();
        subscription_answered = true;
        contact.notify_all();
      }
    }
  }

  // Redis answers SUBSCRIBE with an error when the user's ACL lacks the channel (Redis 7 gives
  // new users no channels): commands still work, but nothing published reaches this client.
  // Health says so until a later attempt is taken, and as what is published meanwhile is lost,
  // that later subscription counts as a gap.
  void subscription_turned_down(const std::string& text) {
    subscription_refused = true;
    for (auto& [_, s] : subscriptions)
      if (!s.confirmed) s.subscribed_before = true;
    std::lock_guard lock(health_mutex);
    subscription_refusal = "Redis at " + where + " refused the subscription: " + text;
    subscription_answered = true;
    contact.notify_all();
  }

  // --- health ---

  void note_health(health::state s, std::string detail) {
    std::lock_guard lock(health_mutex);
    state.current = s;
    state.detail = std::move(detail);
    contacted = true;
    contact.notify_all();
  }

  // What callers are told (health_mutex held): a refused subscription outweighs working commands.
  health reported() const {
    if (state.current == health::state::connected && subscription_refusal) return {health::state::refused, *subscription_refusal};
    return state;
  }

  // --- lifetime ---

  void start() {
    work.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
    asio::post(io, [self = shared_from_this()] {
      if (self->options.cluster) return self->refresh_slots();
      self->connection_for(self->node_at(self->options.endpoints.front()));
    });
  }

  void stop() {
    if (stopping.exchange(true)) return;
    asio::post(io, [this] {
      error closed{error::kind::closed, "the Redis client is shutting down"};
      subscriber_timer.cancel();
      if (subscriber) subscriber->close(closed);
      for (auto& [_, n] : nodes)
        for (auto& c : n->pool) c->close(closed);
      fail_awaiting(closed.message);
      work.reset();
    });
    if (thread.joinable()) thread.join();
    // Calls posted while it stopped are answered too, and nothing queued keeps this alive.
    io.restart();
    io.run();
  }
};

result<std::unique_ptr<client>, std::string> client::create(client_options options) {
  if (options.endpoints.empty()) return failure{std::string("no Redis endpoint is configured")};
  if (options.cluster && options.database != 0) return failure{std::string("a Redis Cluster has only database 0")};
  auto i = std::make_shared<impl>();
  if (options.tls.enabled) {
    i->tls.emplace(asio::ssl::context::tls_client);
    auto& t = *i->tls;
    boost::system::error_code ec;
    t.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                  asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    // A CA bundle of one's own replaces the system's CAs: a private Redis is signed by a private CA.
    if (options.tls.ca_bundle_path.empty()) {
      t.set_default_verify_paths(ec);
    } else {
      t.load_verify_file(options.tls.ca_bundle_path, ec);
      if (ec) return failure{"cannot read the CA bundle '" + options.tls.ca_bundle_path + "': " + ec.message()};
    }
    if (options.tls.client_certificate_path.empty() != options.tls.client_key_path.empty())
      return failure{std::string("a client certificate needs both its certificate and its key file")};
    if (!options.tls.client_certificate_path.empty()) {
      t.use_certificate_chain_file(options.tls.client_certificate_path, ec);
      if (ec) return failure{"cannot read the client certificate '" + options.tls.client_certificate_path + "': " + ec.message()};
      t.use_private_key_file(options.tls.client_key_path, asio::ssl::context::pem, ec);
      if (ec) return failure{"cannot read the client key '" + options.tls.client_key_path + "': " + ec.message()};
    }
  }
  i->where = name_of(options.endpoints.front()) + (options.cluster ? " (cluster)" : "");
  i->options = std::move(options);
  i->start();
  std::unique_ptr<client> c(new client());
  c->impl_ = std::move(i);
  return c;
}

client::~client() { shutdown(); }

void client::shutdown() {
  if (impl_) impl_->stop();
}

void client::call(std::string_view key, std::vector<std::string> arguments, reply_callback done) {
  auto& i = *impl_;
  if (i.stopping) return done(failure{error{error::kind::closed, "the Redis client is shutting down"}});
  i.commands.fetch_add(1);
  auto c = std::make_shared<impl::call_state>();
  c->key = key;
  c->arguments = std::move(arguments);
  c->done = std::move(done);
  asio::post(i.io, [self = impl_, c] { self->route(c); });
}

void client::subscribe(std::string channel, std::function<void(std::string)> on_message, std::function<void()> on_gap) {
  impl_->has_subscriptions = true;
  asio::post(impl_->io, [self = impl_, channel = std::move(channel), on_message = std::move(on_message), on_gap = std::move(on_gap)]() mutable {
    auto& s = self->subscriptions[channel];
    s.on_message = std::move(on_message);
    s.on_gap = std::move(on_gap);
    if (self->subscriber && self->subscriber->is_ready()) {
      std::string encoded;
      resp::append_command(encoded, {"SUBSCRIBE", channel});
      self->subscriber->send_unanswered(std::move(encoded));
    }
    self->ensure_subscriber();
  });
}

void client::on_reachable(std::function<void()> hook) {
  asio::post(impl_->io, [self = impl_, hook = std::move(hook)]() mutable { self->on_reachable = std::move(hook); });
}

void client::publish(std::string channel, std::string message, reply_callback done) {
  call({}, {"PUBLISH", std::move(channel), std::move(message)}, std::move(done));
}

health client::current_health() const {
  std::lock_guard lock(impl_->health_mutex);
  return impl_->reported();
}

health client::wait_for_first_contact(std::chrono::milliseconds limit) const {
  std::unique_lock lock(impl_->health_mutex);
  // Connected is not the whole answer while subscriptions wait for theirs: an ACL without the
  // channel is as much a setting to fix as a wrong password.
  impl_->contact.wait_for(lock, limit, [this] {
    const auto& i = *impl_;
    return i.contacted && (!i.has_subscriptions || i.subscription_answered || i.state.current != health::state::connected);
  });
  return impl_->reported();
}

statistics client::counters() const { return {impl_->commands.load(), impl_->failures.load(), impl_->opened.load(), impl_->redirected.load()}; }

const std::string& client::where() const noexcept { return impl_->where; }

} // namespace onbehalf::redis
