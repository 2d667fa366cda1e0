#include "onbehalf/cache/durable_store.hpp"

#include "sealed_entry.hpp"

#include "onbehalf/core/log.hpp"

namespace onbehalf::cache {

namespace {

// The application's own store sees only what RocksDB and Redis see: sealed values bound to
// their keys, so a copy of that store holds no readable token and a value moved under another
// key does not open.
class sealing_store final : public durable_store {
public:
  sealing_store(key_ring keys, std::unique_ptr<durable_store> inner) : keys_(std::move(keys)), inner_(std::move(inner)) {}

  void put_all(std::string partition, std::vector<entry> entries, done_callback done) override {
    for (auto& e : entries) e.value = sealed_entry::make(keys_, e.key, e.value, e.expires);
    inner_->put_all(std::move(partition), std::move(entries), std::move(done));
  }

  void get(std::string partition, std::string key, value_callback done) override {
    inner_->get(std::move(partition), key, [this, key, done = std::move(done)](result<std::optional<std::string>, std::string> r) {
      if (!r || !*r) return done(std::move(r));
      auto entry = sealed_entry::open(keys_, key, **r, std::chrono::system_clock::now());
      if (entry.state == sealed_entry::outcome::unreadable)
        log_warning(
            "An entry of the application's cache store could not be opened (sealed with a key no longer configured, or changed) and is ignored",
            {{"store", inner_->kind()}});
      if (entry.state != sealed_entry::outcome::value) return done(std::optional<std::string>());
      done(std::optional<std::string>(std::move(entry.value)));
    });
  }

  void erase(std::string partition, std::string key, done_callback done) override {
    inner_->erase(std::move(partition), std::move(key), std::move(done));
  }
  void erase_partition(std::string partition, count_callback done) override { inner_->erase_partition(std::move(partition), std::move(done)); }
  std::size_t failures() const noexcept override { return inner_->failures(); }
  const char* kind() const noexcept override { return inner_->kind(); }

private:
  key_ring keys_;
  std::unique_ptr<durable_store> inner_;
};

} // namespace

std::unique_ptr<durable_store> sealed_with(key_ring keys, std::unique_ptr<durable_store> inner) {
  return std::make_unique<sealing_store>(std::move(keys), std::move(inner));
}

} // namespace onbehalf::cache
