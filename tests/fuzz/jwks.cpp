// The keys an authority publishes (its jwks_uri): any document that is not a JWKS is refused,
// any key that is not usable is skipped with a reason, and a key that is kept publishes back
// (to_jwk) as the same key: the same id, no algorithm it did not accept.
#include "fuzz.hpp"

#include "onbehalf/identity/jose.hpp"

using namespace onbehalf;
using namespace onbehalf::identity;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto set = key_set::parse(fuzz::as_text(data, size));
  if (!set) return 0;
  for (const auto& key : set->keys()) {
    FUZZ_REQUIRE(key.accepts(jws_algorithm::es256) || key.accepts(jws_algorithm::rs256) || key.accepts(jws_algorithm::ps256));
    FUZZ_REQUIRE(set->find(key.key_id()) != nullptr);
    auto again = key_set::parse(R"({"keys":[)" + key.to_jwk(key.key_id()) + "]}");
    FUZZ_REQUIRE(again && again->keys().size() == 1 && again->skipped().empty());
    const auto& copy = again->keys().front();
    FUZZ_REQUIRE(copy.key_id() == key.key_id());
    FUZZ_REQUIRE(copy.accepts(jws_algorithm::es256) || copy.accepts(jws_algorithm::rs256) || copy.accepts(jws_algorithm::ps256));
    for (auto alg : {jws_algorithm::rs256, jws_algorithm::ps256, jws_algorithm::es256}) {
      // to_jwk writes the one algorithm an RSA key is used with: the copy accepts no more.
      if (copy.accepts(alg)) FUZZ_REQUIRE(key.accepts(alg));
      // No signature the fuzzer makes verifies: the key's private half is not in the document.
      FUZZ_REQUIRE(!key.verify(alg, "header.payload", std::string(64, 'x')));
    }
  }
  for (const auto& reason : set->skipped()) FUZZ_REQUIRE(!reason.empty());
  return 0;
}
