#include "../../support/token_factory.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/identity/id_token.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::identity;
using boost::json::object;
using onbehalf::testing::token_factory;

namespace {

const token_factory& factory() { return testing::shared_token_factory(); }

id_token_rules rules() {
  id_token_rules r;
  r.issuer = factory().issuer;
  r.audience = factory().audience;
  r.nonce = factory().nonce;
  return r;
}

long long now_seconds() { return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count(); }

token_rejection rejection(const std::string& token, const id_token_rules& r = rules(), const key_set& keys = factory().keys()) {
  auto outcome = validate_id_token(token, keys, r);
  REQUIRE_FALSE(outcome);
  return outcome.error().reason;
}

} // namespace

TEST_CASE("a valid id_token yields its claims") {
  auto claims = validate_id_token(factory().id_token(), factory().keys(), rules());
  INFO((claims ? std::string() : claims.error().message));
  REQUIRE(claims);
  CHECK(claims->string("name") == "Ada Lovelace");
}

TEST_CASE("an id_token signed with another key under the same kid has a bad signature") {
  token_factory impostor;
  CHECK(rejection(impostor.id_token()) == token_rejection::bad_signature);
}

TEST_CASE("an id_token whose kid is not in the JWKS names the unknown key, so the JWKS can be refetched") {
  token_factory rotated(jws_algorithm::rs256, "key-2");
  CHECK(rejection(rotated.id_token()) == token_rejection::unknown_key);
}

TEST_CASE("an id_token whose algorithm does not fit the key is refused") {
  token_factory ec(jws_algorithm::es256, "key-1"); // same kid as the RSA key
  CHECK(rejection(ec.id_token()) == token_rejection::unsupported_algorithm);
}

TEST_CASE("an unsigned id_token is refused") {
  auto header = base64::encode(R"({"alg":"none"})", base64::alphabet::url);
  auto payload = base64::encode(R"({"iss":"x"})", base64::alphabet::url);
  CHECK(rejection(header + "." + payload + ".") == token_rejection::unsupported_algorithm);
}

TEST_CASE("a malformed id_token is refused as malformed") { CHECK(rejection("not-a-token") == token_rejection::malformed); }

TEST_CASE("an id_token from another issuer is refused") {
  CHECK(rejection(factory().id_token([](object& c) { c["iss"] = "https://evil.example/v2.0"; })) == token_rejection::wrong_issuer);
}

TEST_CASE("the {tenantid} issuer template of multi-tenant metadata is filled from the token's tid") {
  auto r = rules();
  r.issuer = "https://login.example.com/{tenantid}/v2.0";
  CHECK(validate_id_token(factory().id_token(), factory().keys(), r));
  auto other_tenant = factory().id_token([](object& c) { c["tid"] = "tenant-2"; });
  CHECK(rejection(other_tenant, r) == token_rejection::wrong_issuer);
  auto no_tid = factory().id_token([](object& c) { c.erase("tid"); });
  CHECK(rejection(no_tid, r) == token_rejection::wrong_issuer);
}

TEST_CASE("an id_token for another client is refused") {
  CHECK(rejection(factory().id_token([](object& c) { c["aud"] = "client-2"; })) == token_rejection::wrong_audience);
}

TEST_CASE("an id_token for several audiences must name this client as authorized party") {
  auto several = [](object& c) { c["aud"] = boost::json::array{"client-1", "client-2"}; };
  CHECK(rejection(factory().id_token(several)) == token_rejection::wrong_authorized_party);
  auto with_azp = factory().id_token([&](object& c) {
    several(c);
    c["azp"] = "client-1";
  });
  CHECK(validate_id_token(with_azp, factory().keys(), rules()));
}

TEST_CASE("an expired id_token is refused") {
  CHECK(rejection(factory().id_token([](object& c) { c["exp"] = now_seconds() - 600; })) == token_rejection::expired);
}

TEST_CASE("an id_token that expired within the clock skew is still accepted") {
  CHECK(validate_id_token(factory().id_token([](object& c) { c["exp"] = now_seconds() - 60; }), factory().keys(), rules()));
}

TEST_CASE("the clock skew is configurable") {
  auto r = rules();
  r.clock_skew = std::chrono::seconds(0);
  CHECK(rejection(factory().id_token([](object& c) { c["exp"] = now_seconds() - 60; }), r) == token_rejection::expired);
}

TEST_CASE("an id_token not valid yet is refused") {
  CHECK(rejection(factory().id_token([](object& c) { c["nbf"] = now_seconds() + 3600; })) == token_rejection::not_yet_valid);
}

TEST_CASE("an id_token issued in the future is refused") {
  CHECK(rejection(factory().id_token([](object& c) { c["iat"] = now_seconds() + 3600; })) == token_rejection::issued_in_future);
}

TEST_CASE("an id_token without a nonce, or with another one, is refused") {
  CHECK(rejection(factory().id_token([](object& c) { c.erase("nonce"); })) == token_rejection::wrong_nonce);
  CHECK(rejection(factory().id_token([](object& c) { c["nonce"] = "replayed"; })) == token_rejection::wrong_nonce);
}

TEST_CASE("an id_token without a required claim names the claim") {
  for (auto claim : {"iss", "sub", "aud", "exp", "iat"}) {
    auto outcome = validate_id_token(factory().id_token([&](object& c) { c.erase(claim); }), factory().keys(), rules());
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().reason == token_rejection::missing_claim);
    CHECK(outcome.error().message.find(claim) != std::string::npos);
  }
}

TEST_CASE("times that are not numbers are refused as malformed") {
  CHECK(rejection(factory().id_token([](object& c) { c["exp"] = "tomorrow"; })) == token_rejection::malformed);
}

TEST_CASE("an id_token whose azp names another client is refused even for one audience") {
  CHECK(rejection(factory().id_token([](object& c) { c["azp"] = "client-2"; })) == token_rejection::wrong_authorized_party);
  CHECK(validate_id_token(factory().id_token([](object& c) { c["azp"] = "client-1"; }), factory().keys(), rules()));
}

TEST_CASE("an Entra account's home account id is oid.tid") {
  auto claims = json_object::parse(R"({"oid":"o-1","tid":"t-1","sub":"s-1","iss":"https://login.example/t-1/v2.0"})");
  REQUIRE(claims);
  CHECK(home_account_id(*claims) == "o-1.t-1");
}

TEST_CASE("oid and tid in a token whose issuer does not name that tenant do not make an Entra account id") {
  // A provider that lets users set claims named oid and tid: the victim's oid.tid is not theirs.
  for (std::string_view issuer : {"https://idp.example/", "https://idp.example/realms/t-2", "https://t-1.idp.example/", "t-1"}) {
    INFO(issuer);
    auto claims = json_object::parse(R"({"oid":"o-1","tid":"t-1","sub":"s-1","iss":")" + std::string(issuer) + R"("})");
    REQUIRE(claims);
    CHECK(home_account_id(*claims).starts_with("s-1."));
  }
  for (std::string_view issuer : {"https://login.microsoftonline.com/t-1/v2.0", "https://sts.windows.net/t-1/", "https://c.b2clogin.com/t-1/v2.0/"}) {
    INFO(issuer);
    auto claims = json_object::parse(R"({"oid":"o-1","tid":"t-1","sub":"s-1","iss":")" + std::string(issuer) + R"("})");
    REQUIRE(claims);
    CHECK(home_account_id(*claims) == "o-1.t-1");
  }
}

TEST_CASE("another provider's home account id is sub with a hash of the issuer, so equal subs of two issuers differ") {
  auto a = json_object::parse(R"({"sub":"same","iss":"https://one.example"})");
  auto b = json_object::parse(R"({"sub":"same","iss":"https://two.example"})");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(home_account_id(*a).starts_with("same."));
  CHECK(home_account_id(*a) != home_account_id(*b));
  CHECK(home_account_id(*json_object::parse(R"({"iss":"x"})")).empty());
}

TEST_CASE("claims flatten to one pair per value, numbers and objects as their JSON text") {
  auto claims = json_object::parse(R"({"name":"Ada","roles":["A","B"],"exp":1700000000,"cnf":{"k":1}})");
  REQUIRE(claims);
  auto pairs = flatten_claims(*claims);
  using pair = std::pair<std::string, std::string>;
  CHECK(pairs == std::vector<pair>{{"name", "Ada"}, {"roles", "A"}, {"roles", "B"}, {"exp", "1700000000"}, {"cnf", R"({"k":1})"}});
}
