// Tokens as they arrive: id_tokens from the authority's redirect, access tokens in an API's
// Authorization header. A forged or changed token must never validate, and one that validates
// must satisfy every rule. Input: a selector byte, then either a compact token (odd selector),
// or (even) claims JSON, which is signed with the authority's key first: a properly signed token
// is then refused only for what its claims say (or for being over the size limit), and with any
// byte of its signature changed, refused.
#include "fuzz.hpp"

#include "onbehalf/identity/access_token.hpp"
#include "onbehalf/identity/id_token.hpp"

#include <algorithm>

using namespace onbehalf;
using namespace onbehalf::identity;

namespace {

struct authority {
  signing_key key = signing_key::generate(jws_algorithm::es256); // ES256: the fastest to sign and verify
  key_set keys = *key_set::parse(R"({"keys":[)" + key.public_part().to_jwk("k1") + "]}");
  id_token_rules id_rules{"https://login.example.com/{tenantid}/v2.0", "client-1", "nonce-1", fuzz::fixed_now()};
  access_token_rules access_rules{
      .issuer = "https://login.example.com/{tenantid}/v2.0", .audiences = {"api://todo", "client-1"}, .now = fuzz::fixed_now()};
};

const authority& the_authority() {
  static const authority a;
  return a;
}

bool audience_is(const json_object& claims, std::string_view audience) {
  auto aud = claims.strings("aud");
  return aud && std::find(aud->begin(), aud->end(), audience) != aud->end();
}

// What must hold of any token either validator accepts.
void check_accepted(const json_object& claims) {
  auto iss = claims.string("iss");
  FUZZ_REQUIRE(iss && iss->starts_with("https://login.example.com/") && iss->ends_with("/v2.0"));
  auto exp = claims.integer("exp");
  FUZZ_REQUIRE(exp && *exp + 300 > std::chrono::duration_cast<std::chrono::seconds>(fuzz::fixed_now().time_since_epoch()).count());
}

// "malformed" is not among them: it also names claims of the wrong type ("exp" as a string).
bool signature_problem(token_rejection r) {
  return r == token_rejection::unsupported_algorithm || r == token_rejection::unknown_key || r == token_rejection::bad_signature;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& a = the_authority();
  fuzz::parts in(fuzz::as_text(data, size));
  bool signed_here = in.byte() % 2 == 0;
  auto text = in.rest();

  std::string token(text);
  if (signed_here) {
    if (!json_object::parse(text)) return 0; // sign_jwt takes a JSON object
    token = sign_jwt(a.key, {{"kid", "k1"}}, text);
  }

  if (auto parsed = parse_jwt(token)) {
    FUZZ_REQUIRE(token.starts_with(parsed->signing_input + "."));
    FUZZ_REQUIRE(std::count(parsed->signing_input.begin(), parsed->signing_input.end(), '.') == 1);
  }
  auto id = validate_id_token(token, a.keys, a.id_rules);
  if (id) {
    check_accepted(*id);
    FUZZ_REQUIRE(audience_is(*id, "client-1") && id->string("nonce") == "nonce-1");
  }
  auto access = validate_access_token(token, a.keys, a.access_rules);
  if (access) {
    check_accepted(*access);
    FUZZ_REQUIRE(audience_is(*access, "api://todo") || audience_is(*access, "client-1"));
    (void)scopes_of(*access), (void)roles_of(*access);
  }
  if (!signed_here) {
    FUZZ_REQUIRE(!id && !access); // no key but the authority's signs, and the fuzzer has not got it
    return 0;
  }
  // Past the size limit even the authority's own token is refused, before any decoding.
  if (token.size() > max_jwt_bytes) {
    FUZZ_REQUIRE(!parse_jwt(token) && parse_jwt(token).error().problem == jwt_problem::too_large);
    FUZZ_REQUIRE(!id && id.error().reason == token_rejection::malformed && !access && access.error().reason == token_rejection::malformed);
    return 0;
  }

  if (!id) FUZZ_REQUIRE(!signature_problem(id.error().reason));
  if (!access) FUZZ_REQUIRE(!signature_problem(access.error().reason));
  (void)home_account_id(parse_jwt(token)->claims), (void)flatten_claims(parse_jwt(token)->claims);
  // Change one byte of the signature (the byte after the selector says which): never accepted.
  auto at = token.rfind('.') + 1 + (text.empty() ? 0 : static_cast<unsigned char>(text.front())) % (token.size() - token.rfind('.') - 1);
  token[at] = token[at] == 'A' ? 'B' : 'A';
  FUZZ_REQUIRE(!validate_id_token(token, a.keys, a.id_rules) && !validate_access_token(token, a.keys, a.access_rules));
  return 0;
}
