#include "onbehalf/cache/rocksdb_store.hpp"

#include "onbehalf/core/log.hpp"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <filesystem>

namespace onbehalf::cache {

namespace {

// Stored value: 8 bytes of expiry (seconds since 1970, big-endian, readable for the compaction
// filter), then the sealed plaintext, which holds the same expiry so it cannot be changed unseen.
constexpr std::size_t expiry_bytes = 8;

std::string encode_expiry(long long seconds) {
  std::string out(expiry_bytes, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(seconds & 0xFF);
    seconds >>= 8;
  }
  return out;
}

long long decode_expiry(std::string_view bytes) {
  long long seconds = 0;
  for (std::size_t i = 0; i < expiry_bytes; ++i) seconds = (seconds << 8) | static_cast<unsigned char>(bytes[i]);
  return seconds;
}

long long seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The key is the purpose of the seal: a value copied under another key does not open.
std::string purpose_for(std::string_view key) { return "onbehalf.cache:" + std::string(key); }

class drop_expired : public rocksdb::CompactionFilter {
public:
  explicit drop_expired(std::function<std::chrono::system_clock::time_point()> now) : now_(std::move(now)) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*, bool*) const override {
    return value.size() < expiry_bytes || decode_expiry(std::string_view(value.data(), expiry_bytes)) <= seconds_of(now_());
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

result<std::unique_ptr<rocksdb_store>, std::string> rocksdb_store::open(const std::string& path, key_ring keys,
                                                                        std::function<time_point()> now) {
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
  auto expiry = encode_expiry(seconds_of(expires));
  auto stored = expiry + impl_->keys.seal(expiry + std::string(value), purpose_for(key));
  auto status = impl_->db->Put(rocksdb::WriteOptions(), rocksdb::Slice(key.data(), key.size()), stored);
  if (!status.ok()) return failure{plain_words(status, impl_->path)};
  return true;
}

result<std::optional<std::string>, std::string> rocksdb_store::get(std::string_view key) {
  std::string stored;
  auto status = impl_->db->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), &stored);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return failure{plain_words(status, impl_->path)};
  if (stored.size() < expiry_bytes) return std::optional<std::string>();
  auto opened = impl_->keys.open(std::string_view(stored).substr(expiry_bytes), purpose_for(key));
  if (!opened || opened->size() < expiry_bytes) {
    impl_->unreadable.fetch_add(1);
    log_warning("A cache entry could not be opened and is ignored", {{"reason", opened ? "too short" : std::string(to_string(opened.error()))}});
    return std::optional<std::string>();
  }
  if (decode_expiry(*opened) <= seconds_of(impl_->now())) return std::optional<std::string>();
  return std::optional<std::string>(opened->substr(expiry_bytes));
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
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size())); it->Next()) {
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
