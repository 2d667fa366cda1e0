#include "../../support/token_factory.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/identity/access_token.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::identity;
using boost::json::object;
using onbehalf::testing::token_factory;

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
  auto claims =
      validate_access_token(access_token([](object& c) { c["roles"] = boost::json::array{"Todo.Read.All"}; }), factory().keys(), api_rules());
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
  CHECK(
      validate_access_token(access_token([](object& c) { c["iss"] = "https://evil.example/v2.0"; }), factory().keys(), api_rules()).error().reason ==
      token_rejection::wrong_issuer);
  CHECK(validate_access_token(access_token([](object& c) { c["exp"] = 1000; }), factory().keys(), api_rules()).error().reason ==
        token_rejection::expired);
  token_factory impostor;
  CHECK(validate_access_token(impostor.id_token([](object& c) { c["aud"] = "api-app-id"; }), factory().keys(), api_rules()).error().reason ==
        token_rejection::bad_signature);
}

namespace {
// A token whose header says `typ`, signed with the factory's key.
std::string token_of_type(const std::string& typ) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  object claims{{"iss", factory().issuer}, {"aud", "api-app-id"}, {"exp", now + 600}, {"iat", now}, {"sub", "user-1"}, {"tid", "tenant-1"}};
  auto input = base64::encode(R"({"alg":"RS256","kid":"key-1","typ":")" + typ + "\"}", base64::alphabet::url) + "." +
               base64::encode(boost::json::serialize(claims), base64::alphabet::url);
  return input + "." + base64::encode(factory().key().sign(input), base64::alphabet::url);
}
} // namespace

TEST_CASE("an access token's type, when its header names one, is a JWT access token's") {
  for (std::string typ : {"JWT", "jwt", "at+jwt", "application/at+JWT"}) {
    INFO(typ);
    CHECK(validate_access_token(token_of_type(typ), factory().keys(), api_rules()));
  }
  for (std::string typ : {"id_token+jwt", "dpop+jwt", "logout+jwt", ""}) {
    INFO(typ);
    auto outcome = validate_access_token(token_of_type(typ), factory().keys(), api_rules());
    REQUIRE_FALSE(outcome);
    CHECK(outcome.error().reason == token_rejection::wrong_type);
  }
}

TEST_CASE("an Entra-shaped issuer's v1 tokens (sts.windows.net) are accepted for the same tenant only") {
  auto v1 = [](std::string tid) {
    return access_token([tid](object& c) {
      c["iss"] = "https://sts.windows.net/" + tid + "/";
      c["tid"] = tid;
      c["ver"] = "1.0";
    });
  };
  CHECK(validate_access_token(v1("tenant-1"), factory().keys(), api_rules()));
  CHECK(validate_access_token(v1("tenant-2"), factory().keys(), api_rules()).error().reason == token_rejection::wrong_issuer);
  auto multi = api_rules();
  multi.issuer = "https://login.example.com/{tenantid}/v2.0";
  CHECK(validate_access_token(v1("tenant-2"), factory().keys(), multi));
  auto other_provider = api_rules();
  other_provider.issuer = "https://login.example.com/realms/tenant-1";
  CHECK(validate_access_token(v1("tenant-1"), factory().keys(), other_provider).error().reason == token_rejection::wrong_issuer);
}

TEST_CASE("a multi-tenant API with an allow-list admits only the tenants it names") {
  auto rules = api_rules();
  rules.issuer = "https://login.example.com/{tenantid}/v2.0";
  rules.allowed_tenants = {"Tenant-1", "tenant-9"};
  auto from = [](std::string tid) {
    return access_token([tid](object& c) {
      c["iss"] = "https://login.example.com/" + tid + "/v2.0";
      c["tid"] = tid;
    });
  };
  CHECK(validate_access_token(from("tenant-1"), factory().keys(), rules));
  CHECK(validate_access_token(from("tenant-9"), factory().keys(), rules));
  auto stranger = validate_access_token(from("tenant-2"), factory().keys(), rules);
  REQUIRE_FALSE(stranger);
  CHECK(stranger.error().reason == token_rejection::wrong_tenant);
}
