#include "tokens/measured_store.hpp"

#include "onbehalf/http/metrics.hpp"

#include <array>
#include <atomic>
#include <chrono>

namespace onbehalf::actors::detail {

namespace {

using steady = std::chrono::steady_clock;

enum operation : std::size_t { read, write, erase_one, erase_all, operation_count };
constexpr std::array<const char*, operation_count> operation_names = {"read", "write", "erase", "erase_partition"};

} // namespace

class measured_store final : public cache::durable_store {
public:
  explicit measured_store(std::unique_ptr<cache::durable_store> inner) : inner_(std::move(inner)) {}
  ~measured_store() override { inner_.reset(); } // its last answers first, while this is whole

  void put_all(std::string partition, std::vector<entry> entries, done_callback done) override {
    inner_->put_all(std::move(partition), std::move(entries), timed(write, std::move(done)));
  }
  void get(std::string partition, std::string key, value_callback done) override {
    inner_->get(std::move(partition), std::move(key), timed(read, std::move(done)));
  }
  void erase(std::string partition, std::string key, done_callback done) override {
    inner_->erase(std::move(partition), std::move(key), timed(erase_one, std::move(done)));
  }
  void erase_partition(std::string partition, count_callback done) override {
    inner_->erase_partition(std::move(partition), timed(erase_all, std::move(done)));
  }
  std::size_t failures() const noexcept override { return inner_->failures(); }
  const char* kind() const noexcept override { return inner_->kind(); }

  std::string render() const {
    auto store = http::prometheus_label(kind());
    std::string out = "# HELP onbehalf_cache_l2_requests_total Requests to the shared or persistent cache, by operation and outcome.\n"
                      "# TYPE onbehalf_cache_l2_requests_total counter\n";
    for (std::size_t op = 0; op < operation_count; ++op)
      for (auto [outcome, n] : {std::pair{"success", (*figures_)[op].succeeded.load()}, {"failure", (*figures_)[op].failed.load()}})
        out += "onbehalf_cache_l2_requests_total{store=\"" + store + "\",operation=\"" + operation_names[op] + "\",outcome=\"" + outcome + "\"} " +
               std::to_string(n) + "\n";
    out += "# HELP onbehalf_cache_l2_request_duration_seconds Time the shared or persistent cache took to answer.\n"
           "# TYPE onbehalf_cache_l2_request_duration_seconds histogram\n";
    for (std::size_t op = 0; op < operation_count; ++op)
      (*figures_)[op].latency.render(out, "onbehalf_cache_l2_request_duration_seconds",
                                     "store=\"" + store + "\",operation=\"" + operation_names[op] + "\"");
    return out;
  }

private:
  struct figures {
    std::atomic<std::uint64_t> succeeded{0};
    std::atomic<std::uint64_t> failed{0};
    http::latency_histogram latency;
  };

  // The answer, counted on its way to the caller; the figures stay alive for an answer that comes
  // while the store closes.
  template <class Callback>
  Callback timed(operation op, Callback done) {
    return [figures = figures_, op, started = steady::now(), done = std::move(done)](auto answer) {
      auto& f = (*figures)[op];
      f.latency.record(steady::now() - started);
      (answer ? f.succeeded : f.failed).fetch_add(1, std::memory_order_relaxed);
      done(std::move(answer));
    };
  }

  std::shared_ptr<std::array<figures, operation_count>> figures_ = std::make_shared<std::array<figures, operation_count>>();
  std::unique_ptr<cache::durable_store> inner_;
};

std::unique_ptr<cache::durable_store> measured(std::unique_ptr<cache::durable_store> inner) {
  return std::make_unique<measured_store>(std::move(inner));
}

std::string render_store_metrics(const cache::durable_store& store) {
  auto* m = dynamic_cast<const measured_store*>(&store);
  return m ? m->render() : std::string();
}

} // namespace onbehalf::actors::detail
