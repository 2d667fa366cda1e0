// Every parser that reads what the network sends, fed thousands of corrupted variants of valid
// input: each must answer with a value or a typed error, never crash or throw.
#include "../../support/token_factory.hpp"

#include "onbehalf/config/configuration.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/discovery.hpp"
#include "onbehalf/identity/id_token.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace onbehalf;
using namespace onbehalf::identity;

namespace {

// Deterministic corruptions: flipped bytes, cuts, duplicated runs, inserted JSON punctuation.
std::vector<std::string> corruptions_of(const std::string& valid, std::size_t count) {
  std::mt19937 random(20261125);
  std::vector<std::string> out;
  constexpr std::string_view punctuation = "{}[]\",:.\\\0\xff=%";
  for (std::size_t i = 0; i < count; ++i) {
    std::string s = valid;
    auto edits = 1 + random() % 4;
    for (std::size_t e = 0; e < edits && !s.empty(); ++e) {
      auto at = random() % s.size();
      switch (random() % 4) {
      case 0: s[at] = static_cast<char>(random() % 256); break;
      case 1: s.resize(at); break;
      case 2: s.insert(at, s.substr(at, random() % 16)); break;
      case 3: s.insert(at, 1, punctuation[random() % punctuation.size()]); break;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace

TEST_CASE("corrupted id_tokens are refused with a reason, never accepted") {
  testing::token_factory f;
  auto keys = f.keys();
  id_token_rules rules{f.issuer, f.audience, f.nonce};
  std::size_t accepted = 0;
  auto valid = f.id_token();
  for (const auto& token : corruptions_of(valid, 3000)) {
    result<json_object, token_error> outcome = failure{token_error{token_rejection::malformed, ""}};
    CHECK_NOTHROW(outcome = validate_id_token(token, keys, rules));
    if (outcome && token != valid) ++accepted;
  }
  CHECK(accepted == 0);
}

TEST_CASE("corrupted token responses give tokens or a typed failure") {
  const std::string valid =
      R"({"token_type":"Bearer","scope":"a b","expires_in":3599,"access_token":"at","refresh_token":"rt","id_token":"it","client_info":"ci"})";
  for (const auto& body : corruptions_of(valid, 3000))
    for (unsigned status : {200u, 400u, 429u, 503u}) CHECK_NOTHROW(static_cast<void>(read_token_response(status, body, "x")));
}

TEST_CASE("corrupted discovery documents and key sets give a value or an error") {
  const std::string discovery =
      R"({"issuer":"https://a/{tenantid}/v2.0","authorization_endpoint":"https://a/auth","token_endpoint":"https://a/token","jwks_uri":"https://a/keys","response_modes_supported":["query","form_post"]})";
  for (const auto& doc : corruptions_of(discovery, 2000)) CHECK_NOTHROW(static_cast<void>(parse_provider_metadata(doc)));
  testing::token_factory f;
  auto jwks = "{\"keys\":[" + f.key().public_part().to_jwk("k1") + "]}";
  for (const auto& doc : corruptions_of(jwks, 2000)) CHECK_NOTHROW(static_cast<void>(key_set::parse(doc)));
}

TEST_CASE("corrupted configuration files give settings or an error with a location") {
  const std::string json = R"({ // comment
    "AzureAd": {"Instance": "https://login.microsoftonline.com/", "ClientId": "c", "ClientCredentials": [{"SourceType": "ClientSecret", "ClientSecret": "s"}],},
    "DownstreamApis": {"A": {"BaseUrl": "https://a", "Scopes": ["x", "y"]}}})";
  for (const auto& text : corruptions_of(json, 3000)) {
    config::configuration c;
    CHECK_NOTHROW(static_cast<void>(config::parse_json_layer(text, "appsettings.json", c)));
  }
}

TEST_CASE("corrupted form bodies and query strings parse or are refused") {
  const std::string form = "grant_type=authorization_code&code=abc%2Bdef&redirect_uri=https%3A%2F%2Fapp%2Fcb&scope=openid+profile";
  for (const auto& text : corruptions_of(form, 3000)) CHECK_NOTHROW(static_cast<void>(text::form_fields::parse(text)));
}
