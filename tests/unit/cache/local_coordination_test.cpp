#include "onbehalf/cache/coordination.hpp"

#include <catch2/catch.hpp>

#include <optional>

using namespace onbehalf;
using namespace onbehalf::cache;
using namespace std::chrono_literals;

namespace {

// A store that answers writes only when told to, as a network store answers later, or answers
// what is pending when it closes.
struct store_answering_later final : durable_store {
  std::vector<done_callback> pending;
  std::vector<entry> written;

  void put_all(std::string, std::vector<entry> entries, done_callback done) override {
    written.insert(written.end(), entries.begin(), entries.end());
    pending.push_back(std::move(done));
  }
  void get(std::string, std::string, value_callback done) override { done(std::optional<std::string>()); }
  void erase(std::string, std::string, done_callback done) override { done(true); }
  void erase_partition(std::string, count_callback done) override { done(std::size_t{0}); }
  std::size_t failures() const noexcept override { return 0; }
  const char* kind() const noexcept override { return "test"; }

  void answer_all(result<bool, std::string> outcome) {
    for (auto& done : std::exchange(pending, {})) done(outcome);
  }
};

coordination::lease acquired(coordination& c, const std::string& name) {
  std::optional<coordination::lease_answer> answer;
  c.acquire("account", name, 10s, [&](coordination::lease_answer a) { answer = std::move(a); });
  REQUIRE(answer);
  REQUIRE(answer->state == coordination::lease_state::acquired);
  return answer->held;
}

std::vector<durable_store::entry> one_entry() { return {{"key", "value", std::chrono::system_clock::now() + 1h}}; }

} // namespace

TEST_CASE("local coordination: a lease is released only once the store has written what completed it") {
  store_answering_later store;
  auto leases = coordinate_in_process(&store);
  auto held = acquired(*leases, "refresh");
  bool woken = false;
  leases->on_released("account", "refresh", [&] { woken = true; });

  std::optional<result<bool, std::string>> completed;
  leases->complete(held, one_entry(), [&](result<bool, std::string> r) { completed = std::move(r); });
  CHECK(store.written.size() == 1);
  CHECK_FALSE(woken);
  CHECK_FALSE(completed);

  store.answer_all(true);
  CHECK(woken);
  REQUIRE(completed);
  CHECK(*completed);
}

TEST_CASE("local coordination: a lease that is no longer held writes nothing") {
  store_answering_later store;
  auto leases = coordinate_in_process(&store);
  auto held = acquired(*leases, "refresh");
  leases->release(held);
  std::optional<result<bool, std::string>> completed;
  leases->complete(held, one_entry(), [&](result<bool, std::string> r) { completed = std::move(r); });
  REQUIRE(completed);
  CHECK_FALSE(**completed);
  CHECK(store.written.empty());
}

TEST_CASE("local coordination: a store answering after the coordination is gone still reaches the caller") {
  store_answering_later store;
  std::optional<result<bool, std::string>> completed;
  {
    auto leases = coordinate_in_process(&store);
    leases->complete(acquired(*leases, "refresh"), one_entry(), [&](result<bool, std::string> r) { completed = std::move(r); });
  }
  store.answer_all(onbehalf::failure{std::string("Redis closed with this write pending")});
  REQUIRE(completed);
  CHECK_FALSE(*completed);
  CHECK(completed->error() == "Redis closed with this write pending");
}
