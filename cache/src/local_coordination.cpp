#include "onbehalf/cache/coordination.hpp"

#include "onbehalf/core/crypto.hpp"

#include <map>
#include <mutex>

namespace onbehalf::cache {

namespace {

// One process: leases are entries in a map; nobody else can change an account behind our back.
class local_coordination final : public coordination {
public:
  explicit local_coordination(durable_store* store) : store_(store) {}

  void acquire(std::string partition, std::string name, std::chrono::milliseconds ttl, lease_callback done) override {
    lease_answer answer;
    {
      std::lock_guard lock(mutex_);
      auto& h = leases_[key_of(partition, name)];
      auto now = std::chrono::steady_clock::now();
      if (!h.owner.empty() && h.until > now) {
        answer.state = lease_state::held_elsewhere;
      } else {
        h.owner = crypto::random_token(12);
        h.until = now + ttl;
        answer.state = lease_state::acquired;
        answer.held = {std::move(partition), std::move(name), h.owner};
      }
    }
    done(std::move(answer));
  }

  void complete(lease held, std::vector<durable_store::entry> entries, durable_store::done_callback done) override {
    if (!holds(held)) return done(false);
    if (!store_ || entries.empty()) {
      release(std::move(held));
      return done(true);
    }
    // Released once written: the next holder reads what this one wrote.
    auto partition = held.partition;
    store_->put_all(std::move(partition), std::move(entries), [this, held = std::move(held), done = std::move(done)](result<bool, std::string> r) {
      release(held);
      done(std::move(r));
    });
  }

  void release(lease held) override {
    std::vector<std::function<void()>> waiters;
    {
      std::lock_guard lock(mutex_);
      auto it = leases_.find(key_of(held.partition, held.name));
      if (it == leases_.end() || it->second.owner != held.owner) return;
      waiters = std::move(it->second.waiters);
      leases_.erase(it);
    }
    for (auto& wake : waiters) wake();
  }

  void on_released(std::string partition, std::string name, std::function<void()> wake) override {
    {
      std::lock_guard lock(mutex_);
      auto it = leases_.find(key_of(partition, name));
      if (it != leases_.end() && !it->second.owner.empty()) {
        it->second.waiters.push_back(std::move(wake));
        return;
      }
    }
    wake();
  }

  void announce_account_changed(std::string) override {}
  void observe_account_changes(std::function<void(std::string)>, std::function<void()>) override {}
  bool shared() const noexcept override { return false; }

private:
  struct held_lease {
    std::string owner;
    std::chrono::steady_clock::time_point until;
    std::vector<std::function<void()>> waiters;
  };

  static std::string key_of(const std::string& partition, const std::string& name) { return partition + '\0' + name; }

  bool holds(const lease& l) {
    std::lock_guard lock(mutex_);
    auto it = leases_.find(key_of(l.partition, l.name));
    return it != leases_.end() && it->second.owner == l.owner;
  }

  durable_store* store_;
  std::mutex mutex_;
  std::map<std::string, held_lease> leases_;
};

} // namespace

std::unique_ptr<coordination> coordinate_in_process(durable_store* store) { return std::make_unique<local_coordination>(store); }

} // namespace onbehalf::cache
