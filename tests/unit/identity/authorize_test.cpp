#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/identity/discovery.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::identity;

namespace {

authorize_request sample() {
  authorize_request r;
  r.authorization_endpoint = "https://login.example.com/tenant/oauth2/v2.0/authorize";
  r.client_id = "client-1";
  r.redirect_uri = "https://app.example.com/signin-oidc";
  r.scopes = {"api://my-api/access_as_user"};
  r.state = "state-1";
  r.nonce = "nonce-1";
  r.code_challenge = "challenge-1";
  return r;
}

text::form_fields query_of(const std::string& url) {
  auto q = text::form_fields::parse(url.substr(url.find('?') + 1));
  REQUIRE(q);
  return *q;
}

} // namespace

TEST_CASE("the PKCE challenge matches RFC 7636 appendix B") {
  CHECK(pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST_CASE("a fresh PKCE verifier has 43 characters and a matching challenge") {
  auto a = make_pkce();
  auto b = make_pkce();
  CHECK(a.verifier.size() == 43);
  CHECK(a.challenge == pkce_challenge(a.verifier));
  CHECK(a.verifier != b.verifier);
}

TEST_CASE("the authorize URL carries the code flow, form_post, PKCE, state and nonce") {
  auto url = authorize_url(sample());
  CHECK(url.starts_with("https://login.example.com/tenant/oauth2/v2.0/authorize?"));
  auto q = query_of(url);
  CHECK(q.find("client_id") == "client-1");
  CHECK(q.find("response_type") == "code");
  CHECK(q.find("response_mode") == "form_post");
  CHECK(q.find("redirect_uri") == "https://app.example.com/signin-oidc");
  CHECK(q.find("state") == "state-1");
  CHECK(q.find("nonce") == "nonce-1");
  CHECK(q.find("code_challenge") == "challenge-1");
  CHECK(q.find("code_challenge_method") == "S256");
}

TEST_CASE("the authorize URL always asks for openid profile offline_access before the app's scopes") {
  auto r = sample();
  r.scopes = {"user.read", "openid", "mail.read", "user.read"};
  CHECK(query_of(authorize_url(r)).find("scope") == "openid profile offline_access user.read mail.read");
}

TEST_CASE("query response mode can be chosen") {
  auto r = sample();
  r.mode = response_mode::query;
  CHECK(query_of(authorize_url(r)).find("response_mode") == "query");
}

TEST_CASE("prompt, login_hint, domain_hint and claims are sent only when set") {
  auto plain = query_of(authorize_url(sample()));
  for (auto name : {"prompt", "login_hint", "domain_hint", "claims"}) CHECK_FALSE(plain.find(name));
  auto r = sample();
  r.prompt = "consent";
  r.login_hint = "ada@contoso.com";
  r.domain_hint = "contoso.com";
  r.claims = R"({"access_token":{"acrs":{"essential":true,"value":"c1"}}})";
  auto q = query_of(authorize_url(r));
  CHECK(q.find("prompt") == "consent");
  CHECK(q.find("login_hint") == "ada@contoso.com");
  CHECK(q.find("domain_hint") == "contoso.com");
  CHECK(q.find("claims") == r.claims);
}

TEST_CASE("values are percent-encoded so they cannot add parameters") {
  auto r = sample();
  r.state = "a&scope=evil #x";
  auto url = authorize_url(r);
  CHECK(url.find("a&scope=evil") == std::string::npos);
  CHECK(query_of(url).find("state") == "a&scope=evil #x");
}

TEST_CASE("extra query parameters are appended") {
  auto r = sample();
  r.extra_query_parameters = {{"dc", "ESTS-PUB-WUS2"}, {"slice", "testslice"}};
  auto q = query_of(authorize_url(r));
  CHECK(q.find("dc") == "ESTS-PUB-WUS2");
  CHECK(q.find("slice") == "testslice");
}

TEST_CASE("an authorize endpoint that already has a query is extended, not broken") {
  auto r = sample();
  r.authorization_endpoint = "https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?p=b2c_1_susi";
  auto url = authorize_url(r);
  CHECK(url.starts_with("https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?p=b2c_1_susi&client_id="));
}

TEST_CASE("metadata is found under the authority's well-known path") {
  CHECK(metadata_address("https://login.microsoftonline.com/contoso/v2.0") ==
        "https://login.microsoftonline.com/contoso/v2.0/.well-known/openid-configuration");
  CHECK(metadata_address("https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/b2c_1_susi/v2.0/") ==
        "https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/b2c_1_susi/v2.0/.well-known/openid-configuration");
  CHECK(metadata_address("https://accounts.example.org") == "https://accounts.example.org/.well-known/openid-configuration");
}

TEST_CASE("a scope's resource is its URI before the last slash, and Graph for bare names") {
  CHECK(resource_of_scope("api://22222222/access_as_user") == "api://22222222");
  CHECK(resource_of_scope("https://contoso.onmicrosoft.com/api/read") == "https://contoso.onmicrosoft.com/api");
  CHECK(resource_of_scope("api://todo/.default") == "api://todo");
  CHECK(resource_of_scope("user.read") == "https://graph.microsoft.com");
  CHECK(resource_of_scope("Mail.Read") == "https://graph.microsoft.com");
}

TEST_CASE("a token request keeps the scopes of the first resource only, without the sign-in scopes") {
  CHECK(scopes_of_first_resource({"openid", "api://todo/read", "user.read", "api://todo/write", "offline_access"}) ==
        std::vector<std::string>{"api://todo/read", "api://todo/write"});
  CHECK(scopes_of_first_resource({"user.read", "api://todo/read", "mail.read"}) == std::vector<std::string>{"user.read", "mail.read"});
  CHECK(scopes_of_first_resource({"openid", "profile"}).empty());
}

TEST_CASE("a scope token is printable ASCII without space, quote or backslash (RFC 6749 section 3.3)") {
  for (std::string_view good : {"openid", "api://todo/Todo.ReadWrite", "https://graph.microsoft.com/.default", "a!#[]~"}) {
    INFO(good);
    CHECK(is_scope_token(good));
  }
  for (std::string_view bad : {"", "two words", "quo\"te", "back\\slash", "tab\t", "nl\n", "caf\xc3\xa9", "del\x7f"}) {
    INFO(bad);
    CHECK_FALSE(is_scope_token(bad));
  }
}
