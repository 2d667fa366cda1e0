// Log lines carry text from the network (headers, query strings, authority errors). Whatever
// surrounds it, a credential never reaches the log: not a registered secret, not a token after
// "Bearer", not a JWT, not a client_secret parameter.
// Input: text NUL text; a credential of each kind is put between the two.
#include "fuzz.hpp"

#include "onbehalf/core/redact.hpp"

using namespace onbehalf;

namespace {

constexpr std::string_view registered = "Registered-Secret-7f3a";
constexpr std::string_view jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlc2lnbmF0dXJl";
constexpr std::string_view bearer = "0123456789abcdefABCDEF.-_~+/";
constexpr std::string_view client_secret = "xq8~Vq.secret-value_1";

bool holds(const std::string& s, std::string_view what) { return s.find(what) != std::string::npos; }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool once = (redaction::register_secret(registered), true);
  (void)once;
  fuzz::parts in(fuzz::as_text(data, size));
  std::string before(in.next()), after(in.rest());

  FUZZ_REQUIRE(!holds(redaction::redact(before + after), registered));
  FUZZ_REQUIRE(!holds(redaction::redact(before + " " + std::string(registered) + " " + after), registered));
  // The others are masked where they are labelled as credentials; the same text bare in the
  // surrounding text (the fuzzer copies it there) is not a credential to redact.
  auto masked = [&](std::string_view credential, const std::string& labelled) {
    return holds(before + after, credential) || !holds(redaction::redact(before + labelled + after), credential);
  };
  FUZZ_REQUIRE(masked(jwt, "\n" + std::string(jwt) + "\n"));
  FUZZ_REQUIRE(masked(bearer, "\nAuthorization: Bearer " + std::string(bearer) + "\n"));
  FUZZ_REQUIRE(masked(client_secret, "&client_secret=" + std::string(client_secret) + "&"));
  (void)redaction::is_sensitive_name(before);
  return 0;
}
