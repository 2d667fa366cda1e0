// What the level-2 token caches (RocksDB, Redis) hand back: an entry sealed under its key, and
// inside it the encoded access-token records or account record. Storage is not trusted more than
// the network: bytes that decode() refuses are not something encode() made, and the hot path
// (find_best, which reads the encoded form without decoding it) must find nothing in them;
// in bytes that decode, find_best finds what best_for finds.
// Input: requested scopes, space-separated, NUL the stored bytes.
#include "fuzz.hpp"
#include "sealed_entry.hpp"

#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/core/text.hpp"

using namespace onbehalf;
using namespace onbehalf::cache;
using namespace std::chrono_literals;

namespace {

bool same_tokens(const access_token_records& a, const access_token_records& b) {
  if (a.all().size() != b.all().size()) return false;
  for (std::size_t i = 0; i < a.all().size(); ++i) {
    const auto &x = a.all()[i], &y = b.all()[i];
    if (x.scopes != y.scopes || x.token != y.token || x.expires_on != y.expires_on || x.refresh_on != y.refresh_on) return false;
  }
  return true;
}

void access_tokens(std::string_view bytes, const std::vector<std::string>& requested) {
  auto now = fuzz::fixed_now();
  auto decoded = access_token_records::decode(bytes);
  for (auto margin : {0s, 300s}) {
    auto found = access_token_records::find_best(bytes, requested, now, margin);
    if (!decoded) {
      FUZZ_REQUIRE(!found);
      continue;
    }
    const auto* best = decoded->best_for(requested, now, margin);
    FUZZ_REQUIRE(found.has_value() == (best != nullptr));
    if (best) FUZZ_REQUIRE(found->token == best->token && found->expires_on == best->expires_on && found->refresh_on == best->refresh_on);
  }
  if (!decoded) return;
  // Times beyond 2200 are clamped as they are read: the encoding of what was read reads the same.
  auto again = access_token_records::decode(decoded->encode());
  FUZZ_REQUIRE(again && same_tokens(*again, *decoded));

  // Storing keeps at most max_tokens, and the stored token is found for its own scopes unless
  // the records are full of tokens that live longer.
  auto records = *decoded;
  cached_access_token fresh{requested, "fresh-token", now + 3600s, std::nullopt};
  records.store(fresh, now);
  FUZZ_REQUIRE(records.all().size() <= access_token_records::max_tokens);
  const auto* best = records.best_for(requested, now);
  FUZZ_REQUIRE(best ? best->expires_on >= fresh.expires_on : records.all().size() == access_token_records::max_tokens);
}

void account(std::string_view bytes) {
  auto decoded = account_record::decode(bytes);
  if (!decoded) return;
  FUZZ_REQUIRE(decoded->sessions.size() <= account_record::max_sessions && decoded->claims.size() <= account_record::max_claims);
  auto again = account_record::decode(decoded->encode());
  FUZZ_REQUIRE(again && again->claims == decoded->claims && again->sessions.size() == decoded->sessions.size());
  for (std::size_t i = 0; i < again->sessions.size(); ++i)
    FUZZ_REQUIRE(again->sessions[i].id == decoded->sessions[i].id && again->sessions[i].expires_on == decoded->sessions[i].expires_on);
}

void sealed(std::string_view key, std::string_view bytes) {
  const auto& keys = fuzz::fixed_keys();
  auto now = fuzz::fixed_now();
  FUZZ_REQUIRE(sealed_entry::open(keys, key, bytes, now).state != sealed_entry::outcome::value); // a forgery
  auto stored = sealed_entry::make(keys, key, bytes, now + 60s);
  FUZZ_REQUIRE(sealed_entry::expiry_of(stored) == sealed_entry::seconds_of(now + 60s));
  auto opened = sealed_entry::open(keys, key, stored, now);
  FUZZ_REQUIRE(opened.state == sealed_entry::outcome::value && opened.value == bytes);
  FUZZ_REQUIRE(sealed_entry::open(keys, key, stored, now + 60s).state == sealed_entry::outcome::expired);
  FUZZ_REQUIRE(sealed_entry::open(keys, std::string(key) + "x", stored, now).state == sealed_entry::outcome::unreadable); // copied under another key
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::parts in(fuzz::as_text(data, size));
  auto scopes = in.next();
  auto bytes = in.rest();
  std::vector<std::string> requested;
  for (auto s : text::split(scopes, ' '))
    if (!s.empty()) requested.emplace_back(s);
  access_tokens(bytes, requested);
  account(bytes);
  sealed(scopes, bytes);
  return 0;
}
