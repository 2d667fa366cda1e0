// The encodings every cookie, token and form body goes through: base64 and base64url (strict:
// one text per byte string, so a changed character never decodes to the same bytes), percent
// encoding, and application/x-www-form-urlencoded bodies (the authority's form_post answer).
#include "fuzz.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/text.hpp"

using namespace onbehalf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = fuzz::as_text(data, size);

  for (auto a : {base64::alphabet::standard, base64::alphabet::url}) {
    auto encoded = base64::encode(bytes, a);
    FUZZ_REQUIRE(base64::decode(encoded, a) == std::string(bytes));
    // Whatever decodes is the one text encode() makes of it, padding aside.
    if (auto decoded = base64::decode(bytes, a)) {
      auto canonical = base64::encode(*decoded, a);
      auto unpadded = bytes.substr(0, bytes.find_last_not_of('=') + 1);
      FUZZ_REQUIRE(canonical.substr(0, canonical.find_last_not_of('=') + 1) == unpadded);
    }
  }

  auto encoded = text::percent_encode(bytes);
  FUZZ_REQUIRE(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%") == std::string::npos);
  FUZZ_REQUIRE(text::percent_decode(encoded) == std::string(bytes));
  FUZZ_REQUIRE(text::percent_decode(encoded, true) == std::string(bytes));
  if (auto decoded = text::percent_decode(bytes)) FUZZ_REQUIRE(decoded->size() <= bytes.size());

  // A body that parses writes back to one that parses to the same fields, in order.
  if (auto form = text::form_fields::parse(bytes)) {
    auto again = text::form_fields::parse(form->encode());
    FUZZ_REQUIRE(again && again->all() == form->all());
    for (const auto& [name, value] : form->all()) FUZZ_REQUIRE(form->find(name).has_value());
  }
  return 0;
}
