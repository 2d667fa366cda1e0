#include "onbehalf/cache/redis_store.hpp"

#include "onbehalf/core/log.hpp"
#include "sealed_entry.hpp"

#include <hiredis/hiredis.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace onbehalf::cache {

namespace {

using reply_ptr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// Redis glob characters in a prefix are matched literally.
std::string glob_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

} // namespace

struct redis_store::impl {
  redis_options options;
  key_ring keys;
  std::string where;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void(redisContext*)>> queue; // a null context means: answer with an error
  bool stopping = false;

  std::atomic<bool> is_connected{false};
  std::atomic<std::size_t> failure_count{0};
  std::atomic<std::size_t> unreadable_count{0};
  std::thread worker;

  impl(redis_options o, key_ring k) : options(std::move(o)), keys(std::move(k)) {
    where = options.host + ":" + std::to_string(options.port);
    worker = std::thread([this] { run(); });
  }

  ~impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    worker.join();
  }

  void enqueue(std::function<void(redisContext*)> task) {
    {
      std::lock_guard lock(mutex);
      if (!stopping) {
        queue.push_back(std::move(task));
        wake.notify_one();
        return;
      }
    }
    task(nullptr);
  }

  redisContext* connect() {
    redisContext* c = redisConnectWithTimeout(options.host.c_str(), options.port, to_timeval(options.timeout));
    if (!c || c->err) {
      if (c) redisFree(c);
      return nullptr;
    }
    redisSetTimeout(c, to_timeval(options.timeout));
    redisEnableKeepAlive(c);
    return c;
  }

  void run() {
    redisContext* context = nullptr;
    auto next_attempt = std::chrono::steady_clock::now();
    bool reported_outage = false;
    for (;;) {
      std::function<void(redisContext*)> task;
      {
        std::unique_lock lock(mutex);
        if (queue.empty() && !stopping) {
          if (context) {
            wake.wait(lock);
          } else {
            wake.wait_until(lock, next_attempt);
          }
        }
        if (stopping && queue.empty()) break;
        if (!queue.empty()) {
          task = std::move(queue.front());
          queue.pop_front();
        }
      }
      if (!context && !stopping && std::chrono::steady_clock::now() >= next_attempt) {
        context = connect();
        next_attempt = std::chrono::steady_clock::now() + options.reconnect_interval;
        is_connected = context != nullptr;
        if (context && reported_outage) log_info("Reconnected to Redis; the shared token cache is back", {{"redis", where}});
        if (!context && !reported_outage) log_warning("Redis is unreachable; serving from the in-memory cache and the authority", {{"redis", where}});
        reported_outage = !context;
      }
      if (!task) continue;
      task(stopping ? nullptr : context);
      if (context && context->err) {
        log_warning("Lost the connection to Redis", {{"redis", where}, {"error", context->errstr}});
        redisFree(context);
        context = nullptr;
        is_connected = false;
        reported_outage = true;
        next_attempt = std::chrono::steady_clock::now();
      }
    }
    if (context) redisFree(context);
  }

  // Runs one command; null when Redis is unreachable or answered with an error.
  reply_ptr command(redisContext* c, const std::vector<std::string>& args) {
    if (!c) return {nullptr, freeReplyObject};
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    reply_ptr reply(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data())), freeReplyObject);
    if (reply && reply->type == REDIS_REPLY_ERROR) {
      log_warning("Redis refused a command", {{"redis", where}, {"error", std::string(reply->str, reply->len)}});
      return {nullptr, freeReplyObject};
    }
    return reply;
  }

  std::string unavailable() {
    failure_count.fetch_add(1);
    return "Redis at " + where + " is unreachable";
  }
};

redis_store::redis_store(redis_options options, key_ring keys) : impl_(std::make_unique<impl>(std::move(options), std::move(keys))) {}
redis_store::~redis_store() = default;

void redis_store::put_all(std::vector<entry> entries, done_callback done) {
  auto* i = impl_.get();
  i->enqueue([i, entries = std::move(entries), done = std::move(done)](redisContext* c) {
    std::vector<std::vector<std::string>> sets;
    for (const auto& e : entries) {
      auto ttl = sealed_entry::seconds_of(e.expires) - sealed_entry::seconds_of(i->options.now());
      if (ttl <= 0) continue; // already expired: nothing worth storing
      sets.push_back({"SET", i->options.key_prefix + e.key, sealed_entry::make(i->keys, e.key, e.value, e.expires), "EX", std::to_string(ttl)});
    }
    if (sets.empty()) return done(true);
    bool transaction = sets.size() > 1;
    if (transaction && !i->command(c, {"MULTI"})) return done(failure{i->unavailable()});
    for (const auto& set : sets) {
      if (i->command(c, set)) continue;
      if (transaction) i->command(c, {"DISCARD"});
      return done(failure{i->unavailable()});
    }
    if (!transaction) return done(true);
    auto committed = i->command(c, {"EXEC"});
    if (!committed || committed->type != REDIS_REPLY_ARRAY) return done(failure{i->unavailable()});
    done(true);
  });
}

void redis_store::get(std::string key, value_callback done) {
  auto* i = impl_.get();
  i->enqueue([i, key = std::move(key), done = std::move(done)](redisContext* c) {
    auto reply = i->command(c, {"GET", i->options.key_prefix + key});
    if (!reply) return done(failure{i->unavailable()});
    if (reply->type != REDIS_REPLY_STRING) return done(std::optional<std::string>());
    auto entry = sealed_entry::open(i->keys, key, std::string_view(reply->str, reply->len), i->options.now());
    if (entry.state == sealed_entry::outcome::unreadable) {
      i->unreadable_count.fetch_add(1);
      log_warning("A Redis cache entry could not be opened (sealed with a key no longer configured, or changed) and is ignored");
    }
    if (entry.state != sealed_entry::outcome::value) return done(std::optional<std::string>());
    done(std::optional<std::string>(std::move(entry.value)));
  });
}

void redis_store::erase(std::string key, done_callback done) {
  auto* i = impl_.get();
  i->enqueue([i, key = std::move(key), done = std::move(done)](redisContext* c) {
    if (!i->command(c, {"DEL", i->options.key_prefix + key})) return done(failure{i->unavailable()});
    done(true);
  });
}

void redis_store::erase_prefix(std::string prefix, count_callback done) {
  auto* i = impl_.get();
  i->enqueue([i, prefix = std::move(prefix), done = std::move(done)](redisContext* c) {
    std::size_t removed = 0;
    std::string cursor = "0";
    auto pattern = glob_escape(i->options.key_prefix + prefix) + "*";
    do {
      auto page = i->command(c, {"SCAN", cursor, "MATCH", pattern, "COUNT", "500"});
      if (!page || page->type != REDIS_REPLY_ARRAY || page->elements != 2) return done(failure{i->unavailable()});
      cursor.assign(page->element[0]->str, page->element[0]->len);
      std::vector<std::string> del{"DEL"};
      for (std::size_t k = 0; k < page->element[1]->elements; ++k)
        del.emplace_back(page->element[1]->element[k]->str, page->element[1]->element[k]->len);
      if (del.size() > 1) {
        auto deleted = i->command(c, del);
        if (!deleted) return done(failure{i->unavailable()});
        removed += static_cast<std::size_t>(deleted->integer);
      }
    } while (cursor != "0");
    done(removed);
  });
}

bool redis_store::connected() const noexcept { return impl_->is_connected.load(); }
std::size_t redis_store::failures() const noexcept { return impl_->failure_count.load(); }
std::size_t redis_store::unreadable_entries() const noexcept { return impl_->unreadable_count.load(); }

} // namespace onbehalf::cache
