// AzureAd:ClientCapabilities ("cp1"): the app declares in every authorize and token request, as
// MSAL does, that it answers claims challenges; the authority then issues CAE tokens, which live
// long because a CAE-capable API revokes them early with a claims challenge.
#include "../support/web_app_fixture.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/jose.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::web;

namespace {

const std::string declared = R"("xms_cc":{"values":["cp1"]})";

identity::json_object claims_of(const actors::token_service_outcome& token) {
  REQUIRE(token);
  auto jwt = identity::parse_jwt(token->access_token.reveal());
  REQUIRE(jwt);
  return jwt->claims;
}

long long lifetime_of(const identity::json_object& claims) { return claims.integer("exp").value_or(0) - claims.integer("iat").value_or(0); }

// The claims parameter of the authorize request a visit to a protected page is sent to.
std::string authorize_claims(app_fixture& app) {
  browser b(*app.web, app.origin);
  auto redirect = b.request("GET", app.url("/profile"));
  REQUIRE(redirect.status == 302);
  auto location = b.location(redirect);
  auto query = text::form_fields::parse(location.substr(location.find('?') + 1));
  REQUIRE(query);
  return std::string(query->find("claims").value_or(""));
}

} // namespace

TEST_CASE("client capabilities: with cp1, sign-in and every grant declare it, and the authority issues long-lived CAE tokens") {
  app_fixture app([](config::app_settings& s) { s.azure_ad.client_capabilities = {"cp1"}; });
  CHECK(authorize_claims(app).find(declared) != std::string::npos);

  browser b(*app.web, app.origin);
  app.sign_in(b);
  CHECK(app.authority.recent_token_requests().back().claims.find(declared) != std::string::npos); // the code's redemption
  auto token = claims_of(app.user_token(ada_account(), {todo_scope}));
  CHECK(token.strings("xms_cc") == std::vector<std::string>{"cp1"});
  CHECK(lifetime_of(token) >= 24 * 3600);

  actors::token_acquisition_options force;
  force.force_refresh = true;
  std::promise<actors::token_service_outcome> answer;
  app.host->tokens().acquire_token_for_user(ada_account(), {todo_scope}, force,
                                            [&](actors::token_service_outcome o) { answer.set_value(std::move(o)); });
  auto refreshed = claims_of(answer.get_future().get());
  CHECK(app.authority.recent_token_requests().back().grant_type == "refresh_token");
  CHECK(app.authority.recent_token_requests().back().claims.find(declared) != std::string::npos);
  CHECK(lifetime_of(refreshed) >= 24 * 3600);
}

TEST_CASE("client capabilities: without them, nothing is declared and tokens have the authority's usual lifetime") {
  app_fixture app;
  CHECK(authorize_claims(app).empty());
  browser b(*app.web, app.origin);
  app.sign_in(b);
  CHECK(app.authority.recent_token_requests().back().claims.empty());
  auto token = claims_of(app.user_token(ada_account(), {todo_scope}));
  CHECK_FALSE(token.strings("xms_cc"));
  CHECK(lifetime_of(token) <= 3600);
}
