#include "onbehalf/cache/redis_store.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "sealed_entry.hpp"

#include <atomic>
#include <deque>
#include <map>
#include <mutex>

namespace onbehalf::cache {

namespace {

using system_clock = std::chrono::system_clock;

// Writes fields of one partition's hash and keeps the hash as long as its longest-lived field.
// KEYS[1] the hash; ARGV[1] its time to live in ms; then field, value, field, value...
constexpr std::string_view put_script = R"(
local ttl = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1)";

// The same, only while the lease is still the caller's; then the lease goes.
// KEYS[1] the hash, KEYS[2] the lease; ARGV[1] the owner, ARGV[2] the ttl; then the fields.
constexpr std::string_view complete_script = R"(
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if #ARGV > 2 then
  local ttl = tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], unpack(ARGV, 3))
  if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
end
redis.call('DEL', KEYS[2])
return 1)";

// Compare and delete: only the owner gives a lease up.
constexpr std::string_view release_script = R"(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0)";

// A partition goes whole; the answer is how many entries it held.
constexpr std::string_view erase_script = R"(
local n = redis.call('HLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return n)";

constexpr std::string_view released_message = "released ";
constexpr std::string_view changed_message = "changed ";
constexpr std::string_view changed_purpose = "onbehalf.account-changed";
// An announcement older than this is a replay, or from a clock far off: it changes nothing.
constexpr std::chrono::seconds announcement_lifetime{60};
// A waiter whose lease is never released (its holder died) is forgotten after this long; the
// caller has its own timer and has moved on.
constexpr std::chrono::minutes waiter_lifetime{2};
// Lease ends kept for when Redis is back: so many at most (each is one small command then), and
// for so long at most (a lease longer than this is not a lease any more).
constexpr std::size_t max_unfinished_lease_ends = 64;
constexpr std::chrono::minutes unfinished_lease_end_lifetime{2};

long long milliseconds_until(system_clock::time_point when, system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count();
}

} // namespace

struct redis_store::impl : std::enable_shared_from_this<redis_store::impl> {
  redis_options options;
  key_ring keys;
  std::unique_ptr<redis::client> client;
  std::string where;                               // for logs, kept apart: the client is gone first at shutdown
  std::string instance = crypto::random_token(12); // tells this instance's own announcements apart

  std::atomic<std::size_t> failure_count{0};
  std::atomic<std::size_t> unreadable_count{0};
  std::atomic<std::size_t> unreadable_message_count{0};
  std::atomic<bool> in_outage{false};

  std::mutex mutex;
  struct waiter {
    std::function<void()> wake;
    std::chrono::steady_clock::time_point since;
  };
  std::multimap<std::string, waiter> waiters; // by lease key
  // A lease's end — a completion, a release — that Redis may not have carried out: it was sent
  // and no answer came, or it could not be sent. Until it runs the lease stays held for its whole
  // time, and a completion's result (a rotated refresh token) is missing from the store, so it is
  // sent again once Redis is reachable. The scripts end a lease only while it is still ours, so
  // one that did run, or ran out, changes nothing the second time.
  struct lease_end {
    std::string routing_key; // the partition's hash, or the lease itself: one slot either way
    std::string lease_key;
    std::vector<std::string> arguments;
    std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
  };
  std::deque<lease_end> unfinished_lease_ends; // oldest first
  std::function<void(std::string)> changed;
  std::function<void()> missed;

  std::string hash_key(std::string_view partition) const { return options.key_prefix + "{" + std::string(partition) + "}"; }
  std::string lease_key(std::string_view partition, std::string_view name) const {
    // The name is hashed: any text makes a short key of one shape.
    return hash_key(partition) + ":lease:" + base64::encode(crypto::sha256(name), base64::alphabet::url).substr(0, 22);
  }
  std::string channel() const { return options.key_prefix + "events"; }

  // --- outcomes, counted and logged once per outage ---

  std::string failed(const redis::error& e) {
    failure_count.fetch_add(1);
    bool unreachable = e.what == redis::error::kind::unreachable || e.what == redis::error::kind::timeout;
    if (unreachable && !in_outage.exchange(true))
      log_warning("Redis is unreachable; serving from memory and the authority until it is back", {{"redis", where}, {"error", e.message}});
    if (e.what == redis::error::kind::refused)
      log_error("Redis refused this application: fix Onbehalf:Redis:User and Password, or its ACL", {{"redis", where}, {"error", e.message}});
    if (e.what == redis::error::kind::server || e.what == redis::error::kind::protocol)
      log_warning("Redis could not carry out a command", {{"redis", where}, {"error", e.message}});
    return e.message;
  }

  void succeeded() {
    if (!in_outage.exchange(false)) return;
    log_info("Redis is back; the shared cache is in use again", {{"redis", where}});
    end_unfinished_leases();
  }

  // Runs a command; `done` gets the reply or a failure already counted and logged.
  void call(const std::string& key, std::vector<std::string> arguments, std::function<void(result<redis::reply, redis::error>)> done) {
    client->call(key, std::move(arguments), [self = shared_from_this(), done = std::move(done)](result<redis::reply, redis::error> r) {
      if (!r) {
        self->failed(r.error());
        return done(std::move(r));
      }
      self->succeeded();
      done(std::move(*r));
    });
  }

  // --- ending leases ---

  // Sent, then no answer; or not sent at all: the command may or may not have run.
  static bool may_not_have_run(const redis::error& e) { return e.what == redis::error::kind::unreachable || e.what == redis::error::kind::timeout; }

  // Runs a lease's end; `done` learns whether the lease was still ours (and is free now).
  void end_lease(lease_end work, std::function<void(result<bool, std::string>)> done) {
    auto routing_key = work.routing_key;
    auto arguments = work.arguments;
    call(routing_key, std::move(arguments),
         [self = shared_from_this(), work = std::move(work), done = std::move(done)](result<redis::reply, redis::error> r) mutable {
           if (!r) {
             if (may_not_have_run(r.error())) self->end_later(std::move(work));
             return done(failure{r.error().message});
           }
           bool ours = r->integer == 1;
           if (ours) {
             self->wake(work.lease_key);
             self->publish(std::string(released_message) + work.lease_key);
           }
           done(ours);
         });
  }

  // Oldest first and no more than the cap: in a long outage, the commands sent as it began are
  // the ones that may have run; the later ones failed before they reached Redis.
  void end_later(lease_end work) {
    std::lock_guard lock(mutex);
    if (unfinished_lease_ends.size() < max_unfinished_lease_ends) unfinished_lease_ends.push_back(std::move(work));
  }

  void end_unfinished_leases() {
    std::deque<lease_end> work;
    {
      std::lock_guard lock(mutex);
      work.swap(unfinished_lease_ends);
    }
    auto now = std::chrono::steady_clock::now();
    for (auto& w : work)
      if (now - w.since < unfinished_lease_end_lifetime) end_lease(std::move(w), [](result<bool, std::string>) {});
  }

  // The fields and the time to live of a write; expired entries are left out.
  bool add_fields(std::vector<std::string>& arguments, std::vector<entry>& entries) {
    auto now = options.now();
    auto latest = now;
    std::vector<std::string> fields;
    for (auto& e : entries) {
      if (e.expires <= now) continue;
      fields.push_back(e.key);
      fields.push_back(sealed_entry::make(keys, e.key, e.value, e.expires));
      latest = std::max(latest, e.expires);
    }
    if (fields.empty()) return false;
    arguments.push_back(std::to_string(std::max<long long>(1, milliseconds_until(latest, now))));
    for (auto& f : fields) arguments.push_back(std::move(f));
    return true;
  }

  // --- announcements ---

  void on_event(const std::string& message) {
    if (message.starts_with(released_message)) return wake(message.substr(released_message.size()));
    if (message.starts_with(changed_message)) return account_changed(message.substr(changed_message.size()));
  }

  void wake(const std::string& lease) {
    std::vector<std::function<void()>> woken;
    {
      std::lock_guard lock(mutex);
      auto [first, last] = waiters.equal_range(lease);
      for (auto it = first; it != last; ++it) woken.push_back(std::move(it->second.wake));
      waiters.erase(first, last);
    }
    for (auto& w : woken) w();
  }

  void account_changed(const std::string& sealed) {
    // Only instances holding our keys can announce: anything else is counted and ignored.
    // Instance, account and time lines; the account (an authority's `sub`) may hold a line
    // break, the instance and the time never do.
    auto opened = keys.open(sealed, changed_purpose);
    std::string_view all = opened ? std::string_view(*opened) : std::string_view();
    auto first = all.find('\n');
    auto last = all.rfind('\n');
    auto sent = first != last ? text::parse_unsigned(all.substr(last + 1)) : std::nullopt;
    if (!sent) {
      unreadable_message_count.fetch_add(1);
      log_warning("An account-change announcement on the Redis events channel could not be opened with our keys; ignored", {{"redis", where}});
      return;
    }
    if (all.substr(0, first) == instance) return;
    auto age = std::chrono::duration_cast<std::chrono::seconds>(options.now().time_since_epoch()).count() - static_cast<long long>(*sent);
    if (age > announcement_lifetime.count() || age < -announcement_lifetime.count()) return;
    std::function<void(std::string)> observer;
    {
      std::lock_guard lock(mutex);
      observer = changed;
    }
    if (observer) observer(std::string(all.substr(first + 1, last - first - 1)));
  }

  void gap() {
    std::function<void()> observer;
    {
      std::lock_guard lock(mutex);
      observer = missed;
    }
    log_info("The Redis events subscription is back; accounts held in memory are looked at again", {{"redis", where}});
    if (observer) observer();
  }

  void publish(std::string message) {
    client->publish(channel(), std::move(message), [self = shared_from_this()](result<redis::reply, redis::error> r) {
      if (!r) self->failed(r.error());
    });
  }
};

result<std::unique_ptr<redis_store>, std::string> redis_store::open(redis_options options, key_ring keys) {
  if (options.key_prefix.find_first_of("{}") != std::string::npos)
    return failure{"the key prefix '" + options.key_prefix + "' must not hold braces: they would change where Redis Cluster puts the keys"};
  auto client = redis::client::create(options.connection);
  if (!client) return failure{client.error()};
  std::unique_ptr<redis_store> store(new redis_store());
  auto i = std::make_shared<impl>();
  i->options = std::move(options);
  i->keys = std::move(keys);
  i->client = std::move(*client);
  i->where = i->client->where();
  std::weak_ptr<impl> weak = i;
  i->client->on_reachable([weak] {
    if (auto self = weak.lock()) self->end_unfinished_leases();
  });
  i->client->subscribe(
      i->channel(),
      [weak](std::string message) {
        if (auto self = weak.lock()) self->on_event(message);
      },
      [weak] {
        if (auto self = weak.lock()) self->gap();
      });
  store->impl_ = std::move(i);
  return store;
}

// The client stops first: it answers what is still waiting while the rest is alive, and those
// answers may still use it (a completed lease publishes its release).
redis_store::~redis_store() {
  impl_->client->shutdown();
  impl_->client.reset();
}

std::string redis_store::hash_key(std::string_view partition) const { return impl_->hash_key(partition); }
std::string redis_store::lease_key(std::string_view partition, std::string_view name) const { return impl_->lease_key(partition, name); }
std::string redis_store::events_channel() const { return impl_->channel(); }

void redis_store::put_all(std::string partition, std::vector<entry> entries, done_callback done) {
  auto hash = impl_->hash_key(partition);
  std::vector<std::string> arguments{"EVAL", std::string(put_script), "1", hash};
  if (!impl_->add_fields(arguments, entries)) return done(true); // all expired: nothing worth storing
  impl_->call(hash, std::move(arguments), [done = std::move(done)](result<redis::reply, redis::error> r) {
    if (!r) return done(failure{r.error().message});
    done(true);
  });
}

void redis_store::get(std::string partition, std::string key, value_callback done) {
  auto hash = impl_->hash_key(partition);
  impl_->call(hash, {"HGET", hash, key}, [self = impl_, key, done = std::move(done)](result<redis::reply, redis::error> r) {
    if (!r) return done(failure{r.error().message});
    if (!r->is_string()) return done(std::optional<std::string>());
    auto entry = sealed_entry::open(self->keys, key, r->text, self->options.now());
    if (entry.state == sealed_entry::outcome::unreadable) {
      self->unreadable_count.fetch_add(1);
      log_warning("A Redis cache entry could not be opened (sealed with a key no longer configured, or changed) and is ignored");
    }
    if (entry.state != sealed_entry::outcome::value) return done(std::optional<std::string>());
    done(std::optional<std::string>(std::move(entry.value)));
  });
}

void redis_store::erase(std::string partition, std::string key, done_callback done) {
  auto hash = impl_->hash_key(partition);
  impl_->call(hash, {"HDEL", hash, std::move(key)}, [done = std::move(done)](result<redis::reply, redis::error> r) {
    if (!r) return done(failure{r.error().message});
    done(true);
  });
}

void redis_store::erase_partition(std::string partition, count_callback done) {
  auto hash = impl_->hash_key(partition);
  impl_->call(hash, {"EVAL", std::string(erase_script), "1", hash}, [done = std::move(done)](result<redis::reply, redis::error> r) {
    if (!r) return done(failure{r.error().message});
    done(static_cast<std::size_t>(std::max<long long>(0, r->integer)));
  });
}

std::size_t redis_store::failures() const noexcept { return impl_->failure_count.load(); }

void redis_store::acquire(std::string partition, std::string name, std::chrono::milliseconds ttl, lease_callback done) {
  auto key = impl_->lease_key(partition, name);
  auto owner = impl_->instance + "." + crypto::random_token(12);
  auto held = lease{std::move(partition), std::move(name), owner};
  impl_->call(key, {"SET", key, owner, "NX", "PX", std::to_string(std::max<long long>(1, ttl.count()))},
              [self = impl_, key, held = std::move(held), done = std::move(done)](result<redis::reply, redis::error> r) mutable {
                lease_answer answer;
                if (!r) {
                  answer.state = lease_state::unavailable;
                  answer.problem = r.error().message;
                  // Redis may still run the SET (paused, it runs what it was sent once it
                  // resumes): a lease nobody knows of would then hold up every other instance.
                  if (impl::may_not_have_run(r.error())) self->end_later({key, key, {"EVAL", std::string(release_script), "1", key, held.owner}});
                } else if (r->is_ok()) {
                  answer.state = lease_state::acquired;
                  answer.held = std::move(held);
                } else {
                  answer.state = lease_state::held_elsewhere;
                }
                done(std::move(answer));
              });
}

void redis_store::complete(lease held, std::vector<entry> entries, done_callback done) {
  auto hash = impl_->hash_key(held.partition);
  auto key = impl_->lease_key(held.partition, held.name);
  std::vector<std::string> arguments{"EVAL", std::string(complete_script), "2", hash, key, held.owner};
  impl_->add_fields(arguments, entries);
  impl_->end_lease({hash, key, std::move(arguments)}, [self = impl_, done = std::move(done)](result<bool, std::string> ours) {
    if (ours && !*ours)
      log_warning("A lease ran out before its result was written; the result was not stored (raise Onbehalf:Redis:LeaseSeconds)",
                  {{"redis", self->where}});
    done(std::move(ours));
  });
}

void redis_store::release(lease held) {
  auto key = impl_->lease_key(held.partition, held.name);
  impl_->end_lease({key, key, {"EVAL", std::string(release_script), "1", key, held.owner}}, [](result<bool, std::string>) {});
}

void redis_store::on_released(std::string partition, std::string name, std::function<void()> wake) {
  auto key = impl_->lease_key(partition, name);
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(impl_->mutex);
  std::erase_if(impl_->waiters, [now](const auto& w) { return now - w.second.since > waiter_lifetime; });
  impl_->waiters.emplace(std::move(key), impl::waiter{std::move(wake), now});
}

void redis_store::announce_account_changed(std::string home_account_id) {
  auto sent = std::chrono::duration_cast<std::chrono::seconds>(impl_->options.now().time_since_epoch()).count();
  impl_->publish(std::string(changed_message) +
                 impl_->keys.seal(impl_->instance + "\n" + home_account_id + "\n" + std::to_string(sent), changed_purpose));
}

void redis_store::observe_account_changes(std::function<void(std::string)> changed, std::function<void()> missed) {
  std::lock_guard lock(impl_->mutex);
  impl_->changed = std::move(changed);
  impl_->missed = std::move(missed);
}

redis::health redis_store::health() const { return impl_->client->current_health(); }
redis::statistics redis_store::statistics() const { return impl_->client->counters(); }
redis::health redis_store::wait_for_first_contact(std::chrono::milliseconds limit) const { return impl_->client->wait_for_first_contact(limit); }
bool redis_store::connected() const noexcept { return health().current == redis::health::state::connected; }
std::size_t redis_store::unreadable_entries() const noexcept { return impl_->unreadable_count.load(); }
std::size_t redis_store::unreadable_messages() const noexcept { return impl_->unreadable_message_count.load(); }

} // namespace onbehalf::cache
