// The on-disk cache in a real RocksDB folder: restarts, crashes, key rotation, expiry, and what
// an attacker reading the files would see.
#include "../support/temp_dir.hpp"

#include "onbehalf/cache/rocksdb_store.hpp"
#include "onbehalf/core/crypto.hpp"

#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace onbehalf;
using namespace onbehalf::cache;
using namespace std::chrono_literals;

namespace {

sealing_key key_named(std::string id) {
  static std::map<std::string, std::string> bytes;
  if (!bytes.count(id)) bytes[id] = crypto::random_bytes(32);
  return {id, secret(bytes[id])};
}

key_ring ring(std::vector<std::string> ids) {
  std::vector<sealing_key> keys;
  for (auto& id : ids) keys.push_back(key_named(id));
  return *key_ring::make(std::move(keys));
}

std::unique_ptr<rocksdb_store> open_store(const std::string& path, key_ring keys = ring({"k1"})) {
  auto store = rocksdb_store::open(path, std::move(keys));
  INFO((store ? std::string() : store.error()));
  REQUIRE(store);
  return std::move(*store);
}

const std::string token = "eyJhbGciOiJSUzI1NiJ9.access-token-of-ada-for-the-todo-api";
auto in_an_hour() { return std::chrono::system_clock::now() + 1h; }

std::optional<std::string> read(rocksdb_store& s, std::string_view key) {
  auto value = s.get(key);
  REQUIRE(value);
  return *value;
}

} // namespace

TEST_CASE("rocksdb store: a value is read back, and still there after a restart") {
  testing::temp_dir dir;
  auto path = dir.path("nested/var/cache");
  {
    auto store = open_store(path);
    REQUIRE(store->put("ada|api://todo|read", token, in_an_hour()));
    CHECK(read(*store, "ada|api://todo|read") == token);
  }
  auto reopened = open_store(path);
  CHECK(read(*reopened, "ada|api://todo|read") == token);
  CHECK_FALSE(read(*reopened, "grace|api://todo|read"));
}

TEST_CASE("rocksdb store: a value written just before the process is killed survives") {
  testing::temp_dir dir;
  auto path = dir.path("cache");
  auto keys = ring({"k1"}); // before fork(), so parent and child share the key
  pid_t child = fork();
  if (child == 0) {
    auto store = rocksdb_store::open(path, keys);
    if (store) (void)(*store)->put("ada|survivor", token, in_an_hour());
    raise(SIGKILL); // no destructors, no flush: as kill -9 would
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  auto store = open_store(path, keys);
  CHECK(read(*store, "ada|survivor") == token);
}

TEST_CASE("rocksdb store: an access token and its rotated refresh token written together survive a kill together") {
  testing::temp_dir dir;
  auto path = dir.path("cache");
  auto keys = ring({"k1"});
  pid_t child = fork();
  if (child == 0) {
    auto store = rocksdb_store::open(path, keys);
    if (store) (void)(*store)->put_all({{"ada|at", token, in_an_hour()}, {"ada|rt", "rotated-refresh-token", in_an_hour()}});
    raise(SIGKILL);
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  auto store = open_store(path, keys);
  CHECK(read(*store, "ada|at") == token);
  CHECK(read(*store, "ada|rt") == "rotated-refresh-token");
}

TEST_CASE("rocksdb store: nothing readable is stored in the files") {
  testing::temp_dir dir;
  auto path = dir.path("cache");
  {
    auto store = open_store(path);
    REQUIRE(store->put("ada|api://todo|read", token, in_an_hour()));
  }
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path, &raw).ok());
  std::string stored;
  REQUIRE(raw->Get(rocksdb::ReadOptions(), "ada|api://todo|read", &stored).ok());
  delete raw;
  CHECK(stored.find("access-token-of-ada") == std::string::npos);
  CHECK(stored.find("eyJ") == std::string::npos);
}

TEST_CASE("rocksdb store: expired values are not returned and compaction drops them") {
  testing::temp_dir dir;
  auto now = std::chrono::system_clock::now();
  auto clock_now = now;
  auto store = rocksdb_store::open(dir.path("cache"), ring({"k1"}), [&] { return clock_now; });
  REQUIRE(store);
  REQUIRE((*store)->put("short", "v", now + 1min));
  REQUIRE((*store)->put("long", "v", now + 1h));
  clock_now = now + 5min;
  CHECK_FALSE(read(**store, "short"));
  (*store)->compact();
  clock_now = now; // even with the clock back, the entry is gone from disk
  CHECK_FALSE(read(**store, "short"));
  CHECK(read(**store, "long") == "v");
}

TEST_CASE("rocksdb store: after a key rotation old values are read and new ones use the new key") {
  testing::temp_dir dir;
  auto path = dir.path("cache");
  {
    auto store = open_store(path, ring({"2026-10"}));
    REQUIRE(store->put("old", token, in_an_hour()));
  }
  auto rotated = open_store(path, ring({"2026-10", "2026-11"}));
  CHECK(read(*rotated, "old") == token);
  REQUIRE(rotated->put("new", token, in_an_hour()));
  CHECK(read(*rotated, "new") == token);
}

TEST_CASE("rocksdb store: values sealed with a retired key read as missing and are counted") {
  testing::temp_dir dir;
  auto path = dir.path("cache");
  {
    auto store = open_store(path, ring({"retired"}));
    REQUIRE(store->put("k", token, in_an_hour()));
  }
  auto store = open_store(path, ring({"current"}));
  CHECK_FALSE(read(*store, "k"));
  CHECK(store->unreadable_entries() == 1);
}

TEST_CASE("rocksdb store: a value copied under another key does not open") {
  testing::temp_dir dir;
  auto path = dir.path("cache");
  {
    auto store = open_store(path);
    REQUIRE(store->put("ada|token", token, in_an_hour()));
  }
  {
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), path, &raw).ok());
    std::string stored;
    REQUIRE(raw->Get(rocksdb::ReadOptions(), "ada|token", &stored).ok());
    REQUIRE(raw->Put(rocksdb::WriteOptions(), "mallory|token", stored).ok());
    delete raw;
  }
  auto store = open_store(path);
  CHECK_FALSE(read(*store, "mallory|token"));
  CHECK(read(*store, "ada|token") == token);
}

TEST_CASE("rocksdb store: a user's partition is removed by prefix") {
  testing::temp_dir dir;
  auto store = open_store(dir.path("cache"));
  for (int i = 0; i < 10; ++i) {
    REQUIRE(store->put("oid-1.tid|" + std::to_string(i), "v", in_an_hour()));
    REQUIRE(store->put("oid-2.tid|" + std::to_string(i), "v", in_an_hour()));
  }
  auto removed = store->erase_prefix("oid-1.tid|");
  REQUIRE(removed);
  CHECK(*removed == 10);
  CHECK_FALSE(read(*store, "oid-1.tid|3"));
  CHECK(read(*store, "oid-2.tid|3"));
  REQUIRE(store->erase("oid-2.tid|3"));
  CHECK_FALSE(read(*store, "oid-2.tid|3"));
}

TEST_CASE("rocksdb store: a folder another process holds open is refused with a plain reason") {
  testing::temp_dir dir;
  auto first = open_store(dir.path("cache"));
  auto second = rocksdb_store::open(dir.path("cache"), ring({"k1"}));
  REQUIRE_FALSE(second);
  CHECK(second.error().find("in use by another process") != std::string::npos);
}

TEST_CASE("rocksdb store: a folder another process has open is refused, saying to share through Redis") {
  testing::temp_dir dir;
  auto path = dir.path("cache");
  auto keys = ring({"k1"});
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = fork();
  if (child == 0) {
    // The other process: opens the folder, says so, and holds it until it is killed.
    auto store = rocksdb_store::open(path, keys);
    char opened = store ? 'y' : 'n';
    (void)::write(ready[1], &opened, 1);
    for (;;) ::pause();
  }
  char opened = 0;
  REQUIRE(::read(ready[0], &opened, 1) == 1);
  REQUIRE(opened == 'y');
  auto second = rocksdb_store::open(path, keys);
  ::kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  REQUIRE_FALSE(second);
  CHECK(second.error().find("in use by another process") != std::string::npos);
  CHECK(second.error().find("use Redis to share a cache") != std::string::npos);
}

TEST_CASE("rocksdb store: a path that is a file is refused naming Onbehalf:Cache:Path") {
  testing::temp_dir dir;
  auto file = dir.write("not-a-folder", "x");
  auto store = rocksdb_store::open(file, ring({"k1"}));
  REQUIRE_FALSE(store);
  CHECK(store.error().find("Onbehalf:Cache:Path") != std::string::npos);
}
