#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/cache/rocksdb_store.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace onbehalf::cache {

namespace {

// A RocksDB read that misses the block cache goes to disk; one thread of its own keeps that
// off the actor threads, and keeps the order of one caller's writes.
class background_rocksdb final : public durable_store {
public:
  explicit background_rocksdb(std::unique_ptr<rocksdb_store> store) : store_(std::move(store)), worker_([this] { run(); }) {}

  ~background_rocksdb() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }

  void put_all(std::string, std::vector<entry> entries, done_callback done) override {
    enqueue([this, entries = std::move(entries), done = std::move(done)] { done(counted(store_->put_all(entries))); });
  }

  void get(std::string, std::string key, value_callback done) override {
    enqueue([this, key = std::move(key), done = std::move(done)] { done(counted(store_->get(key))); });
  }

  void erase(std::string, std::string key, done_callback done) override {
    enqueue([this, key = std::move(key), done = std::move(done)] { done(counted(store_->erase(key))); });
  }

  // The keys of a partition start with it: a prefix in RocksDB's order.
  void erase_partition(std::string partition, count_callback done) override {
    enqueue([this, partition = std::move(partition), done = std::move(done)] { done(counted(store_->erase_prefix(partition))); });
  }

  std::size_t failures() const noexcept override { return failures_.load(); }
  const char* kind() const noexcept override { return "rocksdb"; }

private:
  template <typename Result>
  Result counted(Result r) {
    if (!r) failures_.fetch_add(1);
    return r;
  }

  void enqueue(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
    wake_.notify_one();
  }

  // Drains the queue before stopping, so a write accepted before shutdown reaches the disk.
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::unique_ptr<rocksdb_store> store_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::atomic<std::size_t> failures_{0};
  std::thread worker_;
};

} // namespace

std::unique_ptr<durable_store> run_in_background(std::unique_ptr<rocksdb_store> store) {
  return std::make_unique<background_rocksdb>(std::move(store));
}

} // namespace onbehalf::cache
