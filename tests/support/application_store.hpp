// A level-2 store as an application writes its own (MIW's "any IDistributedCache"): entries in a
// map that outlives the hosts using it, answered on the store's own thread as durable_store asks.
#pragma once

#include "onbehalf/cache/durable_store.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace onbehalf::testing {

/// What the store keeps: partition → key → value. Shared by the hosts of a test, as a database is.
struct application_store_contents {
  std::mutex mutex;
  std::map<std::string, std::map<std::string, std::string>> partitions;
  std::size_t entries() {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& [_, p] : partitions) n += p.size();
    return n;
  }
};

class application_store final : public cache::durable_store {
public:
  explicit application_store(std::shared_ptr<application_store_contents> contents) : contents_(std::move(contents)), worker_([this] { work(); }) {}
  ~application_store() override {
    {
      std::lock_guard lock(jobs_mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    worker_.join();
  }

  void put_all(std::string partition, std::vector<entry> entries, done_callback done) override {
    run([this, partition = std::move(partition), entries = std::move(entries), done = std::move(done)] {
      {
        std::lock_guard lock(contents_->mutex);
        for (const auto& e : entries) contents_->partitions[partition][e.key] = e.value;
      }
      done(true);
    });
  }
  void get(std::string partition, std::string key, value_callback done) override {
    run([this, partition = std::move(partition), key = std::move(key), done = std::move(done)] {
      std::optional<std::string> value;
      {
        std::lock_guard lock(contents_->mutex);
        auto p = contents_->partitions.find(partition);
        if (p != contents_->partitions.end())
          if (auto v = p->second.find(key); v != p->second.end()) value = v->second;
      }
      done(std::move(value));
    });
  }
  void erase(std::string partition, std::string key, done_callback done) override {
    run([this, partition = std::move(partition), key = std::move(key), done = std::move(done)] {
      {
        std::lock_guard lock(contents_->mutex);
        contents_->partitions[partition].erase(key);
      }
      done(true);
    });
  }
  void erase_partition(std::string partition, count_callback done) override {
    run([this, partition = std::move(partition), done = std::move(done)] {
      std::size_t n = 0;
      {
        std::lock_guard lock(contents_->mutex);
        if (auto p = contents_->partitions.find(partition); p != contents_->partitions.end()) {
          n = p->second.size();
          contents_->partitions.erase(p);
        }
      }
      done(n);
    });
  }
  std::size_t failures() const noexcept override { return 0; }
  const char* kind() const noexcept override { return "application"; }

private:
  void run(std::function<void()> job) {
    {
      std::lock_guard lock(jobs_mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }
  void work() {
    std::unique_lock lock(jobs_mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return; // stopping, and everything asked was answered
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  std::shared_ptr<application_store_contents> contents_;
  std::mutex jobs_mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread worker_; // last: starts once the members it uses exist
};

} // namespace onbehalf::testing
