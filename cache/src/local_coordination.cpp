#include "onbehalf/cache/coordination.hpp"

#include "onbehalf/core/crypto.hpp"

#include <map>
#include <memory>
#include <mutex>

namespace onbehalf::cache {

namespace {

struct held_lease {
  std::string owner;
  std::chrono::steady_clock::time_point until;
  std::vector<std::function<void()>> waiters;
};

// Shared with the store's pending answers, which may arrive after the coordination is gone.
struct lease_table {
  std::mutex mutex;
  std::map<std::string, held_lease> leases;

  static std::string key_of(const std::string& partition, const std::string& name) { return partition + '\0' + name; }

  bool holds(const coordination::lease& l) {
    std::lock_guard lock(mutex);
    auto it = leases.find(key_of(l.partition, l.name));
    return it != leases.end() && it->second.owner == l.owner;
  }

  void release(const coordination::lease& held) {
    std::vector<std::function<void()>> waiters;
    {
      std::lock_guard lock(mutex);
      auto it = leases.find(key_of(held.partition, held.name));
      if (it == leases.end() || it->second.owner != held.owner) return;
      waiters = std::move(it->second.waiters);
      leases.erase(it);
    }
    for (auto& wake : waiters) wake();
  }
};

// One process: leases are entries in a map; nobody else can change an account behind our back.
class local_coordination final : public coordination {
public:
  explicit local_coordination(durable_store* store) : store_(store) {}

  void acquire(std::string partition, std::string name, std::chrono::milliseconds ttl, lease_callback done) override {
    lease_answer answer;
    {
      std::lock_guard lock(table_->mutex);
      auto& h = table_->leases[lease_table::key_of(partition, name)];
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
    if (!table_->holds(held)) return done(false);
    if (!store_ || entries.empty()) {
      table_->release(held);
      return done(true);
    }
    // Released once written: the next holder reads what this one wrote. A store that outlives
    // this coordination answers what is pending when it closes; then no lease is left to release.
    auto partition = held.partition;
    std::weak_ptr<lease_table> table = table_;
    store_->put_all(std::move(partition), std::move(entries), [table, held = std::move(held), done = std::move(done)](result<bool, std::string> r) {
      if (auto leases = table.lock()) leases->release(held);
      done(std::move(r));
    });
  }

  void release(lease held) override { table_->release(held); }

  void on_released(std::string partition, std::string name, std::function<void()> wake) override {
    {
      std::lock_guard lock(table_->mutex);
      auto it = table_->leases.find(lease_table::key_of(partition, name));
      if (it != table_->leases.end() && !it->second.owner.empty()) {
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
  durable_store* store_;
  std::shared_ptr<lease_table> table_ = std::make_shared<lease_table>();
};

} // namespace

std::unique_ptr<coordination> coordinate_in_process(durable_store* store) { return std::make_unique<local_coordination>(store); }

} // namespace onbehalf::cache
