#include "onbehalf/cache/rocksdb_store.hpp"

#include "sealed_entry.hpp"

#include "onbehalf/core/log.hpp"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <filesystem>

namespace onbehalf::cache {

namespace {

class drop_expired : public rocksdb::CompactionFilter {
public:
  explicit drop_expired(std::function<std::chrono::system_clock::time_point()> now) : now_(std::move(now)) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*, bool*) const override {
    auto expiry = sealed_entry::expiry_of(std::string_view(value.data(), value.size()));
    return !expiry || *expiry <= sealed_entry::seconds_of(now_());
  }
  const char* Name() const override { return "onbehalf.drop_expired"; }

private:
  std::function<std::chrono::system_clock::time_point()> now_;
};

std::string plain_words(const rocksdb::Status& s, const std::string& path) {
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
    return "the cache folder '" + path + "' is in use by another process (only one onbehalf process may open it; use Redis to share a cache)";
  return "the cache at '" + path + "' failed: " + s.ToString();
}

} // namespace

struct rocksdb_store::impl {
  impl(std::string p, key_ring k, std::function<time_point()> n)
      : path(std::move(p)), keys(std::move(k)), now(n), filter(std::make_unique<drop_expired>(std::move(n))) {}
  std::string path;
  key_ring keys;
  std::function<time_point()> now;
  std::unique_ptr<drop_expired> filter;
  std::unique_ptr<rocksdb::DB> db;
  std::atomic<std::size_t> unreadable{0};
};

result<std::unique_ptr<rocksdb_store>, std::string> rocksdb_store::open(const std::string& path, key_ring keys, std::function<time_point()> now) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec || !std::filesystem::is_directory(path))
    return failure{"cannot use '" + path + "' as the cache folder (Onbehalf:Cache:Path): " + (ec ? ec.message() : "it is not a folder")};
  std::unique_ptr<rocksdb_store> store(new rocksdb_store());
  store->impl_ = std::make_unique<impl>(path, std::move(keys), std::move(now));
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compaction_filter = store->impl_->filter.get();
  options.IncreaseParallelism(2);
  rocksdb::DB* db = nullptr;
  auto status = rocksdb::DB::Open(options, path, &db);
  if (!status.ok()) return failure{plain_words(status, path)};
  store->impl_->db.reset(db);
  return store;
}

rocksdb_store::~rocksdb_store() {
  if (impl_ && impl_->db) impl_->db->Close();
}

result<bool, std::string> rocksdb_store::put(std::string_view key, std::string_view value, time_point expires) {
  return put_all({{std::string(key), std::string(value), expires}});
}

result<bool, std::string> rocksdb_store::put_all(const std::vector<durable_store::entry>& entries) {
  rocksdb::WriteBatch batch;
  for (const auto& e : entries) {
    auto stored = sealed_entry::make(impl_->keys, e.key, e.value, e.expires);
    batch.Put(rocksdb::Slice(e.key.data(), e.key.size()), stored);
  }
  auto status = impl_->db->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) return failure{plain_words(status, impl_->path)};
  return true;
}

result<std::optional<std::string>, std::string> rocksdb_store::get(std::string_view key) {
  std::string stored;
  auto status = impl_->db->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &stored);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return failure{plain_words(status, impl_->path)};
  auto entry = sealed_entry::open(impl_->keys, key, stored, impl_->now());
  if (entry.state == sealed_entry::outcome::unreadable) {
    impl_->unreadable.fetch_add(1);
    log_warning("A cache entry could not be opened (changed on disk, or sealed with a key no longer configured) and is ignored");
  }
  if (entry.state != sealed_entry::outcome::value) return std::optional<std::string>();
  return std::optional<std::string>(std::move(entry.value));
}

result<bool, std::string> rocksdb_store::erase(std::string_view key) {
  auto status = impl_->db->Delete(rocksdb::WriteOptions(), rocksdb::Slice(key.data(), key.size()));
  if (!status.ok()) return failure{plain_words(status, impl_->path)};
  return true;
}

result<std::size_t, std::string> rocksdb_store::erase_prefix(std::string_view prefix) {
  rocksdb::WriteBatch batch;
  std::size_t count = 0;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Next()) {
    batch.Delete(it->key());
    ++count;
  }
  if (!it->status().ok()) return failure{plain_words(it->status(), impl_->path)};
  auto status = impl_->db->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) return failure{plain_words(status, impl_->path)};
  return count;
}

void rocksdb_store::compact() {
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  impl_->db->CompactRange(options, nullptr, nullptr);
}

std::size_t rocksdb_store::unreadable_entries() const noexcept { return impl_->unreadable.load(); }

} // namespace onbehalf::cache
