#include "onbehalf/cache/token_records.hpp"

#include "onbehalf/core/untrusted_time.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace onbehalf::cache;
using namespace std::chrono_literals;

namespace {
const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));

cached_access_token token(std::vector<std::string> scopes, std::string value, std::chrono::seconds lifetime) {
  return {std::move(scopes), std::move(value), now + lifetime, std::nullopt};
}
} // namespace

TEST_CASE("cache keys put everything of an account under its partition") {
  auto partition = keys::user_partition("oid-1.tid-1");
  CHECK(partition == "u|oid-1.tid-1|");
  CHECK(keys::access_tokens(partition, "api://todo").starts_with(partition));
  CHECK(keys::refresh_token(partition).starts_with(partition));
  CHECK(keys::account(partition).starts_with(partition));
  CHECK(keys::app_partition("client-1", "tenant-1") == "a|client-1|tenant-1|");
}

TEST_CASE("an account whose id holds the key separator keeps to its own partition") {
  // Signing out of "s.h" removes every key under its partition; "s.h|x.h" (a sub of "s.h|x") is
  // another account, whose keys must not fall under it.
  auto other = keys::user_partition("s.h|x.h");
  for (const auto& key : {keys::account(other), keys::refresh_token(other), keys::access_tokens(other, "api://todo"),
                          keys::user_access_tokens("s.h|x.h", "api://todo")})
    CHECK_FALSE(key.starts_with(keys::user_partition("s.h")));
  CHECK(keys::user_partition("100%|") != keys::user_partition("100|%"));
  CHECK(keys::user_partition("a%7Cb") != keys::user_partition("a|b"));
  // A guest tenant's tokens and a resource whose name holds a bar are told apart too.
  auto p = keys::user_partition("u1");
  CHECK(keys::access_tokens_in_tenant(p, "t|api://x", "") != keys::access_tokens_in_tenant(p, "t", "api://x|"));
  CHECK(keys::access_tokens_in_tenant(p, "t", "api://x") != keys::access_tokens(p, "t|api://x"));
  CHECK(keys::app_partition("c|t", "x") != keys::app_partition("c", "t|x"));
  // Ids without the separator keep the keys they always had: caches written before stay readable.
  CHECK(keys::user_access_tokens("oid.tid", "api://todo", "B2C_1_susi") == "u|oid.tid|at|api://todo|b2c_1_susi");
  CHECK(keys::user_access_tokens("a|b", "api://todo") == keys::access_tokens(keys::user_partition("a|b"), "api://todo"));
}

TEST_CASE("tokens of different B2C user flows have different keys") {
  auto p = keys::user_partition("u1");
  CHECK(keys::access_tokens(p, "api://x", "B2C_1_susi") != keys::access_tokens(p, "api://x", "b2c_1_edit_profile"));
  CHECK(keys::access_tokens(p, "api://x", "B2C_1_susi") == keys::access_tokens(p, "api://x", "b2c_1_susi"));
}

TEST_CASE("a token granted for more scopes serves a request for fewer") {
  access_token_records r;
  r.store(token({"user.read", "mail.read"}, "both", 1h), now);
  REQUIRE(r.best_for({"mail.read"}, now));
  CHECK(r.best_for({"MAIL.READ"}, now)->token == "both");
  CHECK_FALSE(r.best_for({"mail.send"}, now));
}

TEST_CASE("expired tokens, and tokens expiring within the margin, are not used") {
  access_token_records r;
  r.store(token({"a"}, "soon", 4min), now);
  CHECK(r.best_for({"a"}, now));
  CHECK_FALSE(r.best_for({"a"}, now, 5min));
  CHECK_FALSE(r.best_for({"a"}, now + 5min));
}

TEST_CASE("of several fitting tokens the longest-lived is chosen") {
  access_token_records r;
  r.store(token({"a", "b"}, "short", 10min), now);
  r.store(token({"a"}, "long", 1h), now);
  CHECK(r.best_for({"a"}, now)->token == "long");
  CHECK(r.best_for({"a", "b"}, now)->token == "short");
}

TEST_CASE("a new token for the same scopes replaces the old one, and expired ones are dropped") {
  access_token_records r;
  r.store(token({"a", "b"}, "old", 1h), now);
  r.store(token({"x"}, "expiring", 1min), now);
  r.store(token({"B", "A"}, "new", 1h), now + 2min);
  REQUIRE(r.all().size() == 1);
  CHECK(r.all()[0].token == "new");
}

TEST_CASE("a new token for more scopes replaces older ones it covers, as after an incremental consent") {
  access_token_records r;
  r.store(token({"read"}, "before consent", 1h), now);
  r.store(token({"other"}, "another resource's scope set", 1h), now);
  r.store(token({"read", "write"}, "after consent", 1h), now); // the same second: expiries tie
  REQUIRE(r.all().size() == 2);
  CHECK(r.best_for({"read"}, now)->token == "after consent");
  CHECK(std::string(access_token_records::find_best(r.encode(), {"read"}, now)->token) == "after consent");
}

TEST_CASE("of two fitting tokens expiring in the same second the later one is chosen, decoded or not") {
  access_token_records r;
  r.store(token({"a", "b"}, "first", 1h), now);
  r.store(token({"a", "c"}, "second", 1h), now);
  CHECK(r.best_for({"a"}, now)->token == "second");
  CHECK(std::string(access_token_records::find_best(r.encode(), {"a"}, now)->token) == "second");
}

TEST_CASE("a partition keeps a bounded number of scope sets") {
  access_token_records r;
  for (int i = 0; i < 40; ++i) r.store(token({"scope" + std::to_string(i)}, "t", std::chrono::minutes(60 + i)), now);
  CHECK(r.all().size() == access_token_records::max_tokens);
  CHECK_FALSE(r.best_for({"scope0"}, now)); // the soonest to expire went first
  CHECK(r.best_for({"scope39"}, now));
}

TEST_CASE("records survive encoding, refresh hints included") {
  access_token_records r;
  auto t = token({"user.read", "mail.read"}, std::string(1500, 't'), 1h);
  t.refresh_on = now + 30min;
  r.store(t, now);
  r.store(token({"x"}, "second", 2h), now);
  auto decoded = access_token_records::decode(r.encode());
  REQUIRE(decoded);
  REQUIRE(decoded->all().size() == 2);
  CHECK(decoded->all()[0].scopes == t.scopes);
  CHECK(decoded->all()[0].token == t.token);
  CHECK(decoded->all()[0].expires_on == t.expires_on);
  CHECK(decoded->all()[0].refresh_on == t.refresh_on);
  CHECK_FALSE(decoded->all()[1].refresh_on);
}

TEST_CASE("bytes that encode() did not make are refused") {
  access_token_records r;
  r.store(token({"a"}, "t", 1h), now);
  auto bytes = r.encode();
  CHECK_FALSE(access_token_records::decode(""));
  CHECK_FALSE(access_token_records::decode(bytes.substr(0, bytes.size() - 1)));
  CHECK_FALSE(access_token_records::decode(bytes + "x"));
  std::mt19937 random(3);
  for (int i = 0; i < 2000; ++i) {
    auto corrupted = bytes;
    corrupted[random() % corrupted.size()] = static_cast<char>(random() % 256);
    CHECK_NOTHROW(static_cast<void>(access_token_records::decode(corrupted)));
  }
}

TEST_CASE("a stored time too large for the clock reads as the latest believable one, not as an overflow") {
  access_token_records r;
  auto t = token({"a"}, "t", 1h);
  t.refresh_on = now + 30min;
  r.store(t, now);
  auto bytes = r.encode();
  auto big_endian = [](std::chrono::system_clock::time_point at) {
    auto s = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count());
    std::string out;
    for (int i = 7; i >= 0; --i) out += static_cast<char>((s >> (8 * i)) & 0xFF);
    return out;
  };
  auto at = bytes.find(big_endian(t.expires_on));
  REQUIRE(at != std::string::npos);
  bytes.replace(at, 8, "\x7f\xff\xff\xff\xff\xff\xff\xff");
  auto refresh_at = bytes.find(big_endian(*t.refresh_on));
  REQUIRE(refresh_at != std::string::npos);
  bytes.replace(refresh_at, 8, std::string(8, '\xff'));
  auto decoded = access_token_records::decode(bytes);
  REQUIRE(decoded);
  auto latest = onbehalf::instant_from_untrusted(onbehalf::latest_believable_seconds);
  CHECK(decoded->all()[0].expires_on == latest);
  CHECK(decoded->all()[0].refresh_on == latest);
}

TEST_CASE("an account record round-trips through its encoding") {
  account_record r;
  r.claims = {{"name", "Ada"}, {"roles", "A"}, {"roles", "B"}};
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  r.sessions = {{"s1", t}, {"s2", t + std::chrono::hours(1)}};
  auto back = account_record::decode(r.encode());
  REQUIRE(back);
  CHECK(back->claims == r.claims);
  REQUIRE(back->sessions.size() == 2);
  CHECK(back->sessions[1].id == "s2");
  CHECK(back->expires_on() == t + std::chrono::hours(1));
}

TEST_CASE("a truncated or foreign account record is refused, not misread") {
  account_record r;
  r.claims = {{"name", "Ada"}};
  r.sessions = {{"s1", std::chrono::system_clock::now()}};
  auto bytes = r.encode();
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) CHECK_FALSE(account_record::decode(bytes.substr(0, cut)));
  CHECK_FALSE(account_record::decode("not a record"));
}
