#include "../../support/token_factory.hpp"

#include "onbehalf/identity/access_token.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::identity;
using onbehalf::testing::token_factory;
using boost::json::object;

namespace {

const token_factory& factory() { return testing::shared_token_factory(); }

access_token_rules api_rules() {
  access_token_rules r;
  r.issuer = factory().issuer;
  r.audiences = {"api-app-id", "api://todo"};
  return r;
}

// An access token for the API: the factory's id_token shape with the API's audience and no nonce.
template <class Change = void (*)(object&)>
std::string access_token(Change change = [](object&) {}) {
  return factory().id_token([&](object& c) {
    c["aud"] = "api-app-id";
    c.erase("nonce");
    c["scp"] = "access_as_user Todo.ReadWrite";
    change(c);
  });
}

} // namespace

TEST_CASE("an access token for this API yields its claims, scopes and roles") {
  auto claims = validate_access_token(access_token([](object& c) { c["roles"] = boost::json::array{"Todo.Read.All"}; }), factory().keys(), api_rules());
  REQUIRE(claims);
  CHECK(scopes_of(*claims) == std::vector<std::string>{"access_as_user", "Todo.ReadWrite"});
  CHECK(roles_of(*claims) == std::vector<std::string>{"Todo.Read.All"});
}

TEST_CASE("an access token whose audience is the API's app id URI is accepted too") {
  CHECK(validate_access_token(access_token([](object& c) { c["aud"] = "api://todo"; }), factory().keys(), api_rules()));
}

TEST_CASE("an access token for another API is refused") {
  auto outcome = validate_access_token(access_token([](object& c) { c["aud"] = "https://graph.microsoft.com"; }), factory().keys(), api_rules());
  REQUIRE_FALSE(outcome);
  CHECK(outcome.error().reason == token_rejection::wrong_audience);
}

TEST_CASE("an access token from another issuer, expired, or badly signed is refused") {
  CHECK(validate_access_token(access_token([](object& c) { c["iss"] = "https://evil.example/v2.0"; }), factory().keys(), api_rules()).error().reason ==
        token_rejection::wrong_issuer);
  CHECK(validate_access_token(access_token([](object& c) { c["exp"] = 1000; }), factory().keys(), api_rules()).error().reason == token_rejection::expired);
  token_factory impostor;
  CHECK(validate_access_token(impostor.id_token([](object& c) { c["aud"] = "api-app-id"; }), factory().keys(), api_rules()).error().reason ==
        token_rejection::bad_signature);
}
