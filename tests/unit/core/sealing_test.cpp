#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/sealing.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace onbehalf;
using namespace std::string_literals;

namespace {

sealing_key fresh_key(std::string id) { return {std::move(id), secret(crypto::random_bytes(32))}; }

key_ring ring_of(std::vector<sealing_key> keys) {
  auto ring = key_ring::make(std::move(keys));
  INFO((ring ? std::string() : ring.error()));
  REQUIRE(ring);
  return *ring;
}

std::string opened(const key_ring& ring, std::string_view sealed, std::string_view purpose = "session") {
  auto value = ring.open(sealed, purpose);
  REQUIRE(value);
  return *value;
}

unseal_error open_error(const key_ring& ring, std::string_view sealed, std::string_view purpose = "session") {
  auto opened = ring.open(sealed, purpose);
  REQUIRE_FALSE(opened);
  return opened.error();
}

} // namespace

TEST_CASE("what is sealed opens to the same bytes") {
  auto ring = ring_of({fresh_key("k1")});
  std::string value = "user=ada; roles=[\"admin\"]\n\0binary"s;
  CHECK(opened(ring, ring.seal(value, "session")) == value);
  CHECK(opened(ring, ring.seal("", "session")).empty());
}

TEST_CASE("sealing the same value twice gives different text") {
  auto ring = ring_of({fresh_key("k1")});
  CHECK(ring.seal("same", "session") != ring.seal("same", "session"));
}

TEST_CASE("sealed text names the key, and is safe in cookies and URLs") {
  auto ring = ring_of({fresh_key("key-2026_11")});
  auto sealed = ring.seal("value", "session");
  CHECK(sealed.starts_with("key-2026_11."));
  CHECK(sealed.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string::npos);
}

TEST_CASE("any changed byte is detected as tampering") {
  auto ring = ring_of({fresh_key("k1")});
  auto sealed = ring.seal("the session of ada", "session");
  for (std::size_t i = 3; i < sealed.size(); ++i) {
    if (sealed[i] == '.') continue;
    auto changed = sealed;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    CHECK_FALSE(ring.open(changed, "session"));
  }
}

TEST_CASE("a value that failed to open leaves nothing behind: the next one, under another key, opens") {
  auto first = ring_of({fresh_key("k1")});
  auto second = ring_of({fresh_key("k2")});
  auto good = second.seal("the session of grace", "session");
  auto tampered = first.seal("the session of ada", "session");
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(first.open(tampered, "session"));
  CHECK(opened(second, good) == "the session of grace");
  CHECK(opened(first, first.seal("again", "session")) == "again");
}

TEST_CASE("a failed open does not disturb the next value under the same key, nor values under keys taking turns") {
  auto ring = ring_of({fresh_key("k1")});
  auto other = ring_of({fresh_key("k2")});
  auto tampered = ring.seal("the session of ada", "session");
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(ring.open(tampered, "session"));
  CHECK(opened(ring, ring.seal("next", "session")) == "next");
  for (int turn = 0; turn < 3; ++turn) {
    CHECK(opened(ring, ring.seal("one", "session")) == "one");
    CHECK(opened(other, other.seal("two", "session")) == "two");
  }
}

TEST_CASE("a value sealed for one purpose does not open for another") {
  auto ring = ring_of({fresh_key("k1")});
  CHECK(open_error(ring, ring.seal("v", "sign-in correlation"), "session") == unseal_error::tampered);
}

TEST_CASE("a value relabelled with another key id of the ring does not open") {
  auto ring = ring_of({fresh_key("k1"), fresh_key("k2")});
  auto sealed = ring.seal("v", "session"); // by k2
  CHECK(open_error(ring, "k1" + sealed.substr(2)) == unseal_error::tampered);
}

TEST_CASE("text that seal() never produced is malformed") {
  auto ring = ring_of({fresh_key("k1")});
  CHECK(open_error(ring, "") == unseal_error::malformed);
  CHECK(open_error(ring, "k1.abc") == unseal_error::malformed);
  CHECK(open_error(ring, "k1.!!!.abc") == unseal_error::malformed);
  CHECK(open_error(ring, "k1.AAAAAAAAAAAAAAAA.AAAA") == unseal_error::malformed); // body shorter than the tag
  auto sealed = ring.seal("value", "purpose");
  CHECK(open_error(ring, sealed + ".") == unseal_error::malformed); // a fourth part
  CHECK(open_error(ring, "." + sealed) == unseal_error::malformed);
  CHECK(open_error(ring, "k1..") == unseal_error::malformed);
}

TEST_CASE("after a rotation old values still open, new ones use the new key") {
  auto old_key = fresh_key("2026-10");
  auto before = ring_of({old_key}).seal("kept", "session");
  auto rotated = ring_of({old_key, fresh_key("2026-11")});
  CHECK(opened(rotated, before) == "kept");
  CHECK(rotated.current_key_id() == "2026-11");
  CHECK(rotated.seal("new", "session").starts_with("2026-11."));
}

TEST_CASE("a value sealed with a key that left the ring names the unknown key") {
  auto old_ring = ring_of({fresh_key("retired")});
  auto new_ring = ring_of({fresh_key("current")});
  CHECK(open_error(new_ring, old_ring.seal("v", "session")) == unseal_error::unknown_key);
}

TEST_CASE("key rings refuse keys of the wrong size and bad or repeated ids") {
  CHECK_FALSE(key_ring::make({}));
  CHECK(key_ring::make({{"k1", secret(std::string(16, 'x'))}}).error().find("32 bytes") != std::string::npos);
  CHECK(key_ring::make({{"k.1", secret(std::string(32, 'x'))}}).error().find("letters, digits") != std::string::npos);
  CHECK(key_ring::make({fresh_key("k1"), fresh_key("k1")}).error().find("used twice") != std::string::npos);
}

TEST_CASE("corrupted sealed values are refused, never opened") {
  auto ring = ring_of({fresh_key("k1")});
  auto sealed = ring.seal("the session of ada", "session");
  std::mt19937 random(7);
  for (int i = 0; i < 3000; ++i) {
    auto s = sealed;
    auto at = random() % s.size();
    if (random() % 2) {
      s.resize(at);
    } else {
      s[at] = static_cast<char>(random() % 256);
    }
    if (s == sealed) continue;
    CHECK_FALSE(ring.open(s, "session"));
  }
}

TEST_CASE("two rings made from the same key bytes each open their own values, taking turns on one thread") {
  auto key = fresh_key("k1");
  auto first = ring_of({key});
  auto second = ring_of({key});
  auto other = ring_of({fresh_key("k1")});
  for (int turn = 0; turn < 3; ++turn) {
    CHECK(opened(first, second.seal("same bytes", "session")) == "same bytes");
    CHECK(open_error(other, first.seal("other bytes", "session")) == unseal_error::tampered);
    CHECK(opened(other, other.seal("own", "session")) == "own");
  }
}

TEST_CASE("a long purpose, as a cache entry's key, seals and opens, and binds the value to it") {
  auto ring = ring_of({fresh_key("k1")});
  std::string purpose = "cache entry " + std::string(300, 'p');
  auto sealed = ring.seal("v", purpose);
  CHECK(opened(ring, sealed, purpose) == "v");
  CHECK(open_error(ring, sealed, purpose + "q") == unseal_error::tampered);
}

TEST_CASE("constant-time comparison finds a difference at any position and of any length") {
  for (std::size_t length = 0; length <= 40; ++length) {
    std::string a(length, 'x');
    for (std::size_t i = 0; i < length; ++i) a[i] = static_cast<char>('a' + i % 26);
    CHECK(crypto::constant_time_equals(a, std::string(a)));
    CHECK_FALSE(crypto::constant_time_equals(a, a + "y"));
    CHECK_FALSE(crypto::constant_time_equals(a + "y", a));
    for (std::size_t i = 0; i < length; ++i) {
      for (unsigned char flip : {0x01, 0x80}) {
        auto b = a;
        b[i] = static_cast<char>(static_cast<unsigned char>(b[i]) ^ flip);
        CHECK_FALSE(crypto::constant_time_equals(a, b));
      }
    }
  }
}
