#include "../../support/token_factory.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/identity/jose.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/rsa.h>

using namespace onbehalf;
using namespace onbehalf::identity;

namespace {

// RFC 7515 appendix A.2 and A.3: the same payload signed with RS256 and ES256.
const std::string rfc_header_rs256 = "eyJhbGciOiJSUzI1NiJ9";
const std::string rfc_header_es256 = "eyJhbGciOiJFUzI1NiJ9";
const std::string rfc_payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const std::string rfc_signature_rs256 =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZ"
    "cAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eO"
    "kHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const std::string rfc_signature_es256 = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
const std::string rfc_rsa_jwk =
    R"({"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"})";
const std::string rfc_ec_jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

public_key key_from(const std::string& jwk_json) {
  auto jwk = json_object::parse(jwk_json);
  REQUIRE(jwk);
  auto key = public_key::from_jwk(*jwk);
  INFO((key ? std::string() : key.error()));
  REQUIRE(key);
  return *key;
}

std::string without_padding_b64url(std::string_view json) { return base64::encode(json, base64::alphabet::url); }

jwt_problem problem_of(std::string_view token) {
  auto parsed = parse_jwt(token);
  REQUIRE_FALSE(parsed);
  return parsed.error().problem;
}

} // namespace

TEST_CASE("the RFC 7515 A.2 RS256 example verifies") {
  auto key = key_from(rfc_rsa_jwk);
  auto token = parse_jwt(rfc_header_rs256 + "." + rfc_payload + "." + rfc_signature_rs256);
  REQUIRE(token);
  CHECK(token->algorithm == jws_algorithm::rs256);
  CHECK(token->claims.string("iss") == "joe");
  CHECK(token->claims.integer("exp") == 1300819380);
  CHECK(key.verify(token->algorithm, token->signing_input, token->signature));
}

TEST_CASE("the RFC 7515 A.3 ES256 example verifies") {
  auto key = key_from(rfc_ec_jwk);
  auto token = parse_jwt(rfc_header_es256 + "." + rfc_payload + "." + rfc_signature_es256);
  REQUIRE(token);
  CHECK(key.verify(jws_algorithm::es256, token->signing_input, token->signature));
}

TEST_CASE("a changed payload no longer verifies") {
  auto key = key_from(rfc_rsa_jwk);
  auto forged_payload = without_padding_b64url(R"({"iss":"joe","exp":1300819380,"http://example.com/is_root":false})");
  auto token = parse_jwt(rfc_header_rs256 + "." + forged_payload + "." + rfc_signature_rs256);
  REQUIRE(token);
  CHECK_FALSE(key.verify(token->algorithm, token->signing_input, token->signature));
}

TEST_CASE("an RSA key does not verify an RS256 signature as PS256") {
  auto key = key_from(rfc_rsa_jwk);
  auto token = parse_jwt(rfc_header_rs256 + "." + rfc_payload + "." + rfc_signature_rs256);
  REQUIRE(token);
  CHECK_FALSE(key.verify(jws_algorithm::ps256, token->signing_input, token->signature));
}

TEST_CASE("RS256, PS256 and ES256 tokens signed here verify with the published key") {
  for (auto algorithm : {jws_algorithm::rs256, jws_algorithm::ps256, jws_algorithm::es256}) {
    auto key = signing_key::generate(algorithm);
    auto token = parse_jwt(sign_jwt(key, {{"kid", "k"}}, R"({"sub":"x"})"));
    REQUIRE(token);
    CHECK(token->algorithm == algorithm);
    CHECK(token->key_id == "k");
    CHECK(key.public_part().verify(algorithm, token->signing_input, token->signature));
    if (algorithm == jws_algorithm::es256) CHECK(token->signature.size() == 64);
  }
}

TEST_CASE("a key published as a JWK verifies what its private half signed") {
  for (auto algorithm : {jws_algorithm::rs256, jws_algorithm::es256}) {
    auto key = signing_key::generate(algorithm);
    auto published = key_from(key.public_part().to_jwk("k1"));
    CHECK(published.key_id() == "k1");
    auto token = parse_jwt(sign_jwt(key, {}, R"({"sub":"x"})"));
    REQUIRE(token);
    CHECK(published.verify(algorithm, token->signing_input, token->signature));
  }
}

TEST_CASE("unsigned tokens (alg none) are refused") {
  auto header = without_padding_b64url(R"({"alg":"none"})");
  CHECK(problem_of(header + "." + rfc_payload + ".") == jwt_problem::alg_none);
}

TEST_CASE("HMAC tokens are refused, so a public key can never be used as an HMAC secret") {
  auto header = without_padding_b64url(R"({"alg":"HS256"})");
  CHECK(problem_of(header + "." + rfc_payload + ".c2ln") == jwt_problem::unsupported_algorithm);
}

TEST_CASE("tokens with critical header parameters are refused") {
  auto header = without_padding_b64url(R"({"alg":"RS256","crit":["exp"],"exp":1})");
  CHECK(problem_of(header + "." + rfc_payload + "." + rfc_signature_rs256) == jwt_problem::unknown_critical_header);
}

TEST_CASE("malformed tokens are refused as malformed") {
  CHECK(problem_of("") == jwt_problem::malformed);
  CHECK(problem_of("abc") == jwt_problem::malformed);
  CHECK(problem_of("a.b") == jwt_problem::malformed);
  CHECK(problem_of("a.b.c.d") == jwt_problem::malformed);
  CHECK(problem_of(rfc_header_rs256 + ".!!!." + rfc_signature_rs256) == jwt_problem::malformed);
  CHECK(problem_of(without_padding_b64url("not json") + "." + rfc_payload + ".c2ln") == jwt_problem::malformed);
  CHECK(problem_of(without_padding_b64url(R"({"typ":"JWT"})") + "." + rfc_payload + ".c2ln") == jwt_problem::malformed);
  CHECK(problem_of(rfc_header_rs256 + "." + without_padding_b64url("[1,2]") + ".c2ln") == jwt_problem::malformed);
}

TEST_CASE("oversized tokens are refused before decoding") { CHECK(problem_of(std::string(max_jwt_bytes + 1, 'a')) == jwt_problem::too_large); }

TEST_CASE("a JWKS yields its usable keys and says why it skipped the others") {
  auto set = key_set::parse(R"({"keys":[)" + rfc_rsa_jwk + "," + rfc_ec_jwk +
                            R"(,{"kty":"oct","k":"c2VjcmV0","kid":"hmac"},
                               {"kty":"RSA","kid":"broken","n":"!!","e":"AQAB"},
                               {"kty":"EC","kid":"p384","crv":"P-384","x":"AA","y":"AA"},
                               {"kty":"RSA","kid":"encryption","use":"enc","n":"AQAB","e":"AQAB"},
                               {"kty":"EC","kid":"off-curve","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]})");
  REQUIRE(set);
  CHECK(set->keys().size() == 2);
  REQUIRE(set->skipped().size() == 5);
  CHECK(set->skipped()[0].find("\"oct\" is not supported") != std::string::npos);
  CHECK(set->skipped()[1].find("base64url") != std::string::npos);
  CHECK(set->skipped()[2].find("P-384") != std::string::npos);
  CHECK(set->skipped()[3].find("not signatures") != std::string::npos);
  CHECK(set->skipped()[4].find("not on the P-256 curve") != std::string::npos);
}

TEST_CASE("RSA keys shorter than 2048 bits are skipped") {
  auto* weak = EVP_RSA_gen(1024);
  REQUIRE(weak);
  CHECK_FALSE(signing_key::from_evp(weak));
}

TEST_CASE("RSA keys whose exponent is 1 or even are skipped, since with them anyone could sign") {
  // The RFC 7515 example key with other exponents: 1 (every padded message is its own
  // signature), 0 and 65536 (even: no RSA key at all); OpenSSL builds a key from each.
  auto with_exponent = [](const std::string& e) {
    const std::string usual = "\"e\":\"AQAB\"";
    auto jwk = rfc_rsa_jwk;
    jwk.replace(jwk.find(usual), usual.size(), "\"e\":\"" + e + "\"");
    return key_set::parse(R"({"keys":[)" + jwk + "]}");
  };
  REQUIRE(with_exponent("AQAB")->keys().size() == 1);
  for (const char* e : {"AQ", "AA", "AQAA"}) {
    INFO(e);
    auto set = with_exponent(e);
    REQUIRE(set);
    CHECK(set->keys().empty());
    REQUIRE(set->skipped().size() == 1);
    CHECK(set->skipped()[0].find("must be odd and greater than 1") != std::string::npos);
  }
}

TEST_CASE("a document that is not a JWKS is an error, not a crash") {
  CHECK_FALSE(key_set::parse(""));
  CHECK_FALSE(key_set::parse("{"));
  CHECK_FALSE(key_set::parse(R"({"keys":{}})"));
  CHECK_FALSE(key_set::parse(R"({"keys":[1,2]})"));
  CHECK(key_set::parse(R"({"keys":[]})")->keys().empty());
}

TEST_CASE("a JWK's alg limits the key to that algorithm") {
  auto jwk = rfc_rsa_jwk;
  jwk.insert(1, R"("alg":"RS256",)");
  auto key = key_from(jwk);
  CHECK(key.accepts(jws_algorithm::rs256));
  CHECK_FALSE(key.accepts(jws_algorithm::ps256));
  CHECK_FALSE(key.accepts(jws_algorithm::es256));
}
