// The development authority as the framework meets it: over HTTP, driven like a browser and a
// confidential client, checked with onbehalf's own protocol code.
#include "../support/devauthority_fixture.hpp"

using namespace onbehalf;
using namespace onbehalf::identity;
using namespace onbehalf::testing;
using namespace onbehalf::testing::dev;
using namespace std::chrono_literals;

TEST_CASE("dev authority: discovery names the tenant's issuer and endpoints") {
  authority_fixture f;
  CHECK(f.metadata.issuer == f.authority.base_url() + "/" + tenant_id + "/v2.0");
  CHECK(f.metadata.token_endpoint == f.authority.base_url() + "/" + tenant_id + "/oauth2/v2.0/token");
  CHECK(f.discover("contoso.onmicrosoft.com").issuer == f.metadata.issuer);
  CHECK(f.discover("common").issuer == f.authority.base_url() + "/{tenantid}/v2.0");
  auto unknown = send_and_wait(*f.web, {"GET", metadata_address(f.authority.authority("nobody")), {}, {}, {}});
  CHECK(unknown->status == 400);
}

TEST_CASE("dev authority: sign-in with consent yields tokens the framework validates") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto s = sign_in(f, b);
  CHECK(s.pages_seen == std::vector<std::string>{"sign-in", "consent"});
  CHECK(s.consent_scopes_shown == std::vector<std::string>{todo_api + "/access_as_user"});
  auto tokens = f.redeem(f.secret_post(), token_grant::authorization_code(s.code, redirect_uri, s.pkce.verifier, {todo_api + "/access_as_user"}));
  REQUIRE(tokens);
  id_token_rules rules{f.metadata.issuer, client_id, "nonce-1"};
  auto id = validate_id_token(tokens->id_token, f.keys, rules);
  INFO((id ? std::string() : id.error().message));
  REQUIRE(id);
  CHECK(id->string("oid") == "oid-ada");
  CHECK(id->string("tid") == tenant_id);
  auto access = claims_of(tokens->access_token.reveal());
  CHECK(access.string("aud") == "todo-api-app-id");
  CHECK(access.string("scp") == "access_as_user");
  CHECK(access.strings("amr") == std::vector<std::string>{"pwd"});
  CHECK_FALSE(tokens->refresh_token.empty());
  CHECK(base64::decode(tokens->client_info, base64::alphabet::url) == R"({"uid":"oid-ada","utid":")" + tenant_id + "\"}");
}

TEST_CASE("dev authority: a second sign-in in the same browser needs neither password nor consent") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  sign_in(f, b);
  auto again = sign_in(f, b);
  CHECK(again.pages_seen.empty());
}

TEST_CASE("dev authority: a wrong password shows the sign-in page again with an error") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto pkce = make_pkce();
  auto page = b.request("GET", authorize_url(authorize_for(f, {}, pkce)));
  auto flow = browser::hidden_field(page.body, "flow");
  auto again = b.request("POST", browser::form_action(page.body),
                         text::form_fields().add("flow", flow).add("username", "ada@contoso.onmicrosoft.com").add("password", "wrong").encode());
  CHECK(again.status == 200);
  CHECK(again.body.find("Your account or password is incorrect.") != std::string::npos);
}

TEST_CASE("dev authority: an unregistered redirect URI gets an error page, never a redirect") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto request = authorize_for(f, {}, make_pkce());
  request.redirect_uri = "https://evil.example/steal";
  auto page = b.request("GET", authorize_url(request));
  CHECK(page.status == 400);
  CHECK(page.body.find("AADSTS50011") != std::string::npos);
  CHECK_FALSE(page.headers.find("Location"));
}

TEST_CASE("dev authority: an unknown client gets an error page") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto request = authorize_for(f, {}, make_pkce());
  request.client_id = "unknown-client";
  auto page = b.request("GET", authorize_url(request));
  CHECK(page.status == 400);
  CHECK(page.body.find("AADSTS700016") != std::string::npos);
}

TEST_CASE("dev authority: an authorize request without PKCE is sent back with an error") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto request = authorize_for(f, {}, make_pkce());
  request.code_challenge.clear();
  auto target = b.location(b.request("GET", authorize_url(request)));
  CHECK(target.starts_with(redirect_uri + "?error=invalid_request"));
  CHECK(target.find("AADSTS9002325") != std::string::npos);
}

TEST_CASE("dev authority: form_post mode answers with a self-posting form to the redirect URI") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  sign_in(f, b); // signed in and consented
  auto request = authorize_for(f, {}, make_pkce());
  request.mode = response_mode::form_post;
  auto page = b.request("GET", authorize_url(request));
  CHECK(page.status == 200);
  CHECK(page.body.find("action=\"" + redirect_uri + "\"") != std::string::npos);
  CHECK_FALSE(browser::hidden_field(page.body, "code").empty());
  CHECK(browser::hidden_field(page.body, "state") == "state-1");
}

TEST_CASE("dev authority: a code is single use, bound to its verifier and redirect URI") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto s = sign_in(f, b);
  auto wrong_verifier = f.redeem(f.secret_post(), token_grant::authorization_code(s.code, redirect_uri, make_pkce().verifier, {}));
  REQUIRE_FALSE(wrong_verifier);
  CHECK(wrong_verifier.error().has_code(501481));
  auto replay = f.redeem(f.secret_post(), token_grant::authorization_code(s.code, redirect_uri, s.pkce.verifier, {}));
  REQUIRE_FALSE(replay);
  CHECK(replay.error().has_code(54005));
  auto other = sign_in(f, b);
  auto wrong_redirect = f.redeem(f.secret_post(), token_grant::authorization_code(other.code, "http://127.0.0.1:9/other", other.pkce.verifier, {}));
  REQUIRE_FALSE(wrong_redirect);
  CHECK(wrong_redirect.error().has_code(500112));
}

TEST_CASE("dev authority: a scope never consented needs consent (AADSTS65001), then incremental consent grants it") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto tokens = signed_in_tokens(f, b);
  auto refused = refresh_fails(f, tokens.refresh_token, {"mail.read"});
  CHECK(refused.has_code(65001));
  CHECK(refused.reason == interaction_reason::consent_required);

  sign_in_options more;
  more.scopes = {"mail.read"};
  auto s = sign_in(f, b, more);
  CHECK(s.pages_seen == std::vector<std::string>{"consent"});
  CHECK(s.consent_scopes_shown == std::vector<std::string>{"https://graph.microsoft.com/mail.read"});
  auto mail = f.redeem(f.secret_post(), token_grant::refresh(tokens.refresh_token, {"mail.read"}));
  INFO((mail ? std::string() : mail.error().message()));
  REQUIRE(mail);
  CHECK(claims_of(mail->access_token.reveal()).string("scp") == "mail.read");
}

TEST_CASE("dev authority: .default asks for the app's required permissions") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  sign_in_options o;
  o.scopes = {todo_api + "/.default"};
  auto tokens = signed_in_tokens(f, b, o);
  CHECK(claims_of(tokens.access_token.reveal()).string("scp") == "access_as_user");
}

TEST_CASE("dev authority: refresh tokens rotate, and reusing a replaced one revokes the sign-in") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto first = signed_in_tokens(f, b);
  auto second = f.redeem(f.secret_post(), token_grant::refresh(first.refresh_token, {todo_api + "/access_as_user"}));
  REQUIRE(second);
  CHECK(second->refresh_token.reveal() != first.refresh_token.reveal());
  CHECK(refresh_fails(f, first.refresh_token, {todo_api + "/access_as_user"}).error == "invalid_grant");
  auto revoked = refresh_fails(f, second->refresh_token, {todo_api + "/access_as_user"});
  CHECK(revoked.has_code(50173));
  CHECK(revoked.reason == interaction_reason::refresh_token_expired);
}

TEST_CASE("dev authority: revoking a user ends their refresh tokens, even after they sign in again") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto tokens = signed_in_tokens(f, b);
  f.authority.revoke_user("ada@contoso.onmicrosoft.com");
  CHECK(refresh_fails(f, tokens.refresh_token, {todo_api + "/access_as_user"}).has_code(50173));
  sign_in_options again;
  again.prompt = "login";
  auto fresh = signed_in_tokens(f, b, again);
  CHECK(refresh_fails(f, tokens.refresh_token, {todo_api + "/access_as_user"}).has_code(50173));
  CHECK(f.redeem(f.secret_post(), token_grant::refresh(fresh.refresh_token, {todo_api + "/access_as_user"})));
}

TEST_CASE("dev authority: the password-reset page does nothing outside a password-reset flow") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto pkce = make_pkce();
  auto page = b.request("GET", authorize_url(authorize_for(f, {}, pkce)));
  auto flow = browser::hidden_field(page.body, "flow");
  b.request("POST", f.authority.base_url() + "/" + tenant_id + "/devauthority/reset",
            text::form_fields().add("flow", flow).add("username", "grace@contoso.onmicrosoft.com").add("new_password", "taken-over-1").encode());
  browser grace(*f.web, f.authority.base_url());
  sign_in_options o;
  o.user = "grace@contoso.onmicrosoft.com";
  o.password = "grace-password-1"; // unchanged
  CHECK(sign_in(f, grace, o).pages_seen == std::vector<std::string>{"sign-in", "consent"});
}

TEST_CASE("dev authority: a resource that requires MFA asks for the second factor and the token says so") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  sign_in_options o;
  o.scopes = {sensitive_api + "/access_as_user"};
  auto s = sign_in(f, b, o);
  CHECK(s.pages_seen == std::vector<std::string>{"sign-in", "consent", "mfa"});
  auto tokens = f.redeem(f.secret_post(), token_grant::authorization_code(s.code, redirect_uri, s.pkce.verifier, o.scopes));
  REQUIRE(tokens);
  CHECK(claims_of(tokens->access_token.reveal()).strings("amr") == std::vector<std::string>{"pwd", "mfa"});
}

TEST_CASE("dev authority: a token for an MFA resource without a second factor is a claims challenge (AADSTS50076)") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  sign_in_options both;
  both.scopes = {todo_api + "/access_as_user"};
  auto tokens = signed_in_tokens(f, b, both);
  // Consent to the sensitive API (this browser passes MFA on the way); the refresh token above
  // still comes from a password-only sign-in, so it cannot satisfy the MFA policy.
  sign_in_options sensitive;
  sensitive.scopes = {sensitive_api + "/access_as_user"};
  sign_in(f, b, sensitive); // consents (and does MFA in this browser session only)
  auto challenge = refresh_fails(f, tokens.refresh_token, {sensitive_api + "/access_as_user"});
  CHECK(challenge.has_code(50076));
  CHECK(challenge.reason == interaction_reason::mfa_required);
  CHECK(challenge.claims.find("capolids") != std::string::npos);

  sign_in_options step_up = sensitive;
  step_up.claims = challenge.claims;
  auto stepped = sign_in(f, b, step_up);
  CHECK(stepped.pages_seen.empty()); // this browser already passed MFA
}

TEST_CASE("dev authority: client credentials with .default yield the app roles an admin granted") {
  authority_fixture f;
  auto tokens = f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
  REQUIRE(tokens);
  auto access = claims_of(tokens->access_token.reveal());
  CHECK(access.string("aud") == "todo-api-app-id");
  CHECK(access.strings("roles") == std::vector<std::string>{"Todo.Read.All", "Todo.ReadWrite.All"});
  CHECK_FALSE(access.has("scp"));
  CHECK(tokens->refresh_token.empty());
}

TEST_CASE("dev authority: client credentials need a single .default scope of a known resource") {
  authority_fixture f;
  auto not_default = f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/access_as_user"}));
  CHECK(not_default.error().has_code(1002012));
  auto unknown = f.redeem(f.secret_post(), token_grant::client_credentials({"api://nothing/.default"}));
  CHECK(unknown.error().has_code(500011));
}

TEST_CASE("dev authority: a wrong client secret is refused as a configuration error") {
  authority_fixture f;
  auto client = f.secret_post();
  client.client_secret = secret("wrong");
  auto refused = f.redeem(client, token_grant::client_credentials({todo_api + "/.default"}));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().http_status == 401);
  CHECK(refused.error().has_code(7000215));
  CHECK(refused.error().config_key == "AzureAd:ClientCredentials");
}

TEST_CASE("dev authority: client_secret_basic is accepted") {
  authority_fixture f;
  auto client = f.secret_post();
  client.how = client_authentication::method::client_secret_basic;
  CHECK(f.redeem(client, token_grant::client_credentials({todo_api + "/.default"})));
}

TEST_CASE("dev authority: a certificate assertion is accepted once and refused when replayed") {
  authority_fixture f;
  client_authentication client{client_authentication::method::private_key_jwt, client_id, {}, signed_with(*f.certificate)};
  auto request = build_token_request(f.metadata.token_endpoint, client, token_grant::client_credentials({todo_api + "/.default"}));
  CHECK(testing::redeem(*f.web, request));
  auto replay = testing::redeem(*f.web, request);
  REQUIRE_FALSE(replay);
  CHECK(replay.error().error == "invalid_client");
}

TEST_CASE("dev authority: an assertion signed by an unregistered certificate is refused") {
  authority_fixture f;
  self_signed stranger(true);
  auto path = f.dir.path("stranger.pem");
  stranger.write_pem(path, path);
  auto stranger_certificate = client_certificate::from_file(path);
  client_authentication client{client_authentication::method::private_key_jwt, client_id, {}, signed_with(*stranger_certificate)};
  auto refused = f.redeem(client, token_grant::client_credentials({todo_api + "/.default"}));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().has_code(700027));
}

TEST_CASE("dev authority: injected faults answer 503, 500 and 429 with Retry-After") {
  authority_fixture f;
  f.authority.set_faults({devauthority::faults::mode::throttled, 0ms, 17s});
  auto throttled = f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
  REQUIRE_FALSE(throttled);
  CHECK(throttled.error().http_status == 429);
  CHECK(throttled.error().retry_after == 17s);
  CHECK(throttled.error().kind == failure_kind::service_error);
  f.authority.set_faults({devauthority::faults::mode::server_error});
  CHECK(f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"})).error().http_status == 500);
  f.authority.set_faults({devauthority::faults::mode::unavailable});
  CHECK(send_and_wait(*f.web, {"GET", f.metadata.jwks_uri, {}, {}, {}})->status == 503);
  f.authority.set_faults({});
  CHECK(f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"})));
}

TEST_CASE("dev authority: injected latency delays answers without losing them") {
  authority_fixture f;
  f.authority.set_faults({devauthority::faults::mode::none, 300ms});
  CHECK(f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"})));
}

TEST_CASE("dev authority: after a key rotation new tokens use the new key and old ones still verify") {
  authority_fixture f;
  auto before = f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
  f.authority.rotate_signing_key();
  auto after = f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
  auto keys = f.fetch_keys();
  CHECK(keys.keys().size() == 2);
  auto old_token = parse_jwt(before->access_token.reveal());
  auto new_token = parse_jwt(after->access_token.reveal());
  CHECK(old_token->key_id != new_token->key_id);
  for (const auto& t : {*old_token, *new_token}) CHECK(keys.find(t.key_id)->verify(t.algorithm, t.signing_input, t.signature));
}

TEST_CASE("dev authority: the admin endpoint sets faults from loopback") {
  authority_fixture f;
  http::client_request r{"POST", f.authority.base_url() + "/admin/faults", {}, "mode=server_error", {}};
  r.headers.set("Content-Type", "application/x-www-form-urlencoded");
  CHECK(send_and_wait(*f.web, r)->status == 200);
  CHECK(send_and_wait(*f.web, {"GET", f.metadata.jwks_uri, {}, {}, {}})->status == 500);
}

TEST_CASE("dev authority: web pages cannot use the admin endpoints, not even pages on localhost or a name rebound to it") {
  authority_fixture f;
  auto post_faults = [&](std::vector<std::pair<std::string, std::string>> headers) {
    http::client_request r{"POST", f.authority.base_url() + "/admin/faults", {}, "mode=server_error", {}};
    r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    for (auto& [name, value] : headers) r.headers.add(name, std::move(value));
    return send_and_wait(*f.web, r)->status;
  };
  auto port = f.authority.base_url().substr(f.authority.base_url().rfind(':') + 1);
  // A form on another page of this machine: browsers say where it comes from.
  CHECK(post_faults({{"Origin", "http://localhost:5000"}}) == 403);
  CHECK(post_faults({{"Origin", "null"}}) == 403);
  CHECK(post_faults({{"Sec-Fetch-Site", "same-site"}, {"Origin", "http://127.0.0.1:5000"}}) == 403);
  // DNS rebinding: the page's own name resolves to 127.0.0.1, so it is "same-origin" to the browser.
  CHECK(post_faults({{"Host", "evil.example:" + port}, {"Origin", "http://evil.example:" + port}, {"Sec-Fetch-Site", "same-origin"}}) == 403);
  CHECK(post_faults({{"Host", "127.0.0.1.evil.example:" + port}}) == 403);
  CHECK(send_and_wait(*f.web, {"GET", f.metadata.jwks_uri, {}, {}, {}})->status == 200);
  // Scripts, and the dev authority's own pages, may.
  CHECK(post_faults({{"Host", "localhost:" + port}, {"Origin", "http://localhost:" + port}, {"Sec-Fetch-Site", "same-origin"}}) == 200);
  CHECK(send_and_wait(*f.web, {"GET", f.metadata.jwks_uri, {}, {}, {}})->status == 500);
}

TEST_CASE("dev authority: sign-out ends the session and returns only to a registered address") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  sign_in(f, b);
  auto logout = f.metadata.end_session_endpoint + "?post_logout_redirect_uri=" + text::percent_encode("http://127.0.0.1:9/signed-out") + "&state=bye";
  CHECK(b.location(b.request("GET", logout)) == "http://127.0.0.1:9/signed-out?state=bye");
  auto again = sign_in(f, b);
  CHECK(again.pages_seen == std::vector<std::string>{"sign-in"});
  auto elsewhere = b.request("GET", f.metadata.end_session_endpoint + "?post_logout_redirect_uri=" + text::percent_encode("https://evil.example/"));
  CHECK(elsewhere.status == 200);
  CHECK_FALSE(elsewhere.headers.find("Location"));
}

TEST_CASE("dev authority: token requests are counted by grant type") {
  authority_fixture f;
  CHECK(f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"})));
  CHECK(f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"})));
  CHECK(f.authority.token_requests("client_credentials") == 2);
  CHECK(f.authority.token_requests("refresh_token") == 0);
}

TEST_CASE("dev authority: GET /admin/token-requests reports the counts by grant type as JSON") {
  authority_fixture f;
  CHECK(f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"})));
  auto reply = send_and_wait(*f.web, {"GET", f.authority.base_url() + "/admin/token-requests", {}, {}, {}});
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == R"({"client_credentials":1})");
}

TEST_CASE("dev authority: POST /admin/lifetimes shortens the tokens issued next, and refuses a lifetime that is not a number") {
  authority_fixture f;
  auto set_lifetime = [&f](const std::string& form) {
    http::client_request r{"POST", f.authority.base_url() + "/admin/lifetimes", {}, form, {}};
    r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    auto reply = send_and_wait(*f.web, r);
    REQUIRE(reply);
    return reply->status;
  };
  CHECK(set_lifetime("access_token_seconds=12") == 200);
  auto tokens = f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"}));
  REQUIRE(tokens);
  CHECK(tokens->expires_in == std::chrono::seconds(12));
  CHECK(set_lifetime("access_token_seconds=soon") == 400);
  CHECK(set_lifetime("access_token_seconds=0") == 400);
  CHECK(f.redeem(f.secret_post(), token_grant::client_credentials({todo_api + "/.default"}))->expires_in == std::chrono::seconds(12));
}

TEST_CASE("dev authority: a B2C user flow has its own discovery under /tfp, and unknown flows are refused") {
  authority_fixture f;
  auto susi = f.discover("contoso.onmicrosoft.com", "b2c_1_susi");
  CHECK(susi.authorization_endpoint == f.authority.base_url() + "/tfp/contoso.onmicrosoft.com/b2c_1_susi/oauth2/v2.0/authorize");
  CHECK(susi.issuer == f.metadata.issuer);
  auto unknown =
      send_and_wait(*f.web, {"GET", metadata_address(f.authority.user_flow_authority("contoso.onmicrosoft.com", "b2c_1_nope")), {}, {}, {}});
  CHECK(unknown->status == 400);
}

TEST_CASE("dev authority: tokens from a B2C sign-up-sign-in flow name the flow") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto susi = f.discover("contoso.onmicrosoft.com", "b2c_1_susi");
  sign_in_options o;
  o.authorization_endpoint = susi.authorization_endpoint;
  auto s = sign_in(f, b, o);
  CHECK(s.pages_seen == std::vector<std::string>{"sign-in", "consent"});
  auto tokens = testing::redeem(*f.web, build_token_request(susi.token_endpoint, f.secret_post(),
                                                            token_grant::authorization_code(s.code, redirect_uri, s.pkce.verifier, o.scopes)));
  REQUIRE(tokens);
  CHECK(claims_of(tokens->id_token).string("tfp") == "b2c_1_susi");
  CHECK(claims_of(tokens->access_token.reveal()).string("tfp") == "b2c_1_susi");
  auto refreshed =
      testing::redeem(*f.web, build_token_request(susi.token_endpoint, f.secret_post(), token_grant::refresh(tokens->refresh_token, o.scopes)));
  REQUIRE(refreshed);
  CHECK(claims_of(refreshed->access_token.reveal()).string("tfp") == "b2c_1_susi");
}

TEST_CASE("dev authority: \"Forgot your password?\" on a B2C sign-in page sends the app AADB2C90118 with the state; a plain sign-in page has no such "
          "choice") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  auto susi = f.discover("contoso.onmicrosoft.com", "b2c_1_susi");
  sign_in_options o;
  o.authorization_endpoint = susi.authorization_endpoint;
  o.forgets_password = true;
  auto pkce = make_pkce();
  auto v = devauthority::browse(b, "GET", authorize_url(authorize_for(f, o, pkce)), person_of(o), {}, redirect_uri);
  REQUIRE(v);
  CHECK(v->authority_pages.pages_seen == std::vector<std::string>{"forgot-password"});
  REQUIRE(v->last_url.starts_with(redirect_uri));
  auto answer = text::form_fields::parse(v->last_url.substr(v->last_url.find('?') + 1));
  REQUIRE(answer);
  CHECK(answer->find("error") == "access_denied");
  CHECK(answer->find("error_description").value_or("").starts_with("AADB2C90118: "));
  CHECK(answer->find("state") == "state-1");
  CHECK_FALSE(answer->find("code"));

  auto plain = b.request("GET", authorize_url(authorize_for(f, {}, pkce)));
  CHECK(plain.body.find("name=\"password\"") != std::string::npos);
  CHECK(plain.body.find("name=\"forgot\"") == std::string::npos);
}

TEST_CASE("dev authority: the B2C edit-profile flow changes the display name and returns to the app") {
  authority_fixture f;
  browser b(*f.web, f.authority.base_url());
  sign_in(f, b);
  auto edit = f.discover("contoso.onmicrosoft.com", "b2c_1_edit_profile");
  sign_in_options o;
  o.authorization_endpoint = edit.authorization_endpoint;
  o.new_display_name = "Ada, Countess of Lovelace";
  auto s = sign_in(f, b, o);
  CHECK(s.pages_seen == std::vector<std::string>{"edit-profile"});
  auto tokens = testing::redeem(*f.web, build_token_request(edit.token_endpoint, f.secret_post(),
                                                            token_grant::authorization_code(s.code, redirect_uri, s.pkce.verifier, o.scopes)));
  REQUIRE(tokens);
  auto id = claims_of(tokens->id_token);
  CHECK(id.string("name") == "Ada, Countess of Lovelace");
  CHECK(id.string("tfp") == "b2c_1_edit_profile");
}

TEST_CASE("dev authority: the B2C password-reset flow sets a new password that signing in then needs") {
  authority_fixture f;
  auto reset = f.discover("contoso.onmicrosoft.com", "b2c_1_reset");
  {
    browser b(*f.web, f.authority.base_url());
    sign_in_options o;
    o.authorization_endpoint = reset.authorization_endpoint;
    o.new_password = "a-brand-new-password";
    auto s = sign_in(f, b, o);
    CHECK(s.pages_seen == std::vector<std::string>{"reset", "consent"});
  }
  browser fresh(*f.web, f.authority.base_url());
  auto pkce = make_pkce();
  auto page = fresh.request("GET", authorize_url(authorize_for(f, {}, pkce)));
  auto refused = fresh.request("POST", browser::form_action(page.body),
                               text::form_fields()
                                   .add("flow", browser::hidden_field(page.body, "flow"))
                                   .add("username", "ada@contoso.onmicrosoft.com")
                                   .add("password", "ada-password-1")
                                   .encode());
  CHECK(refused.body.find("Your account or password is incorrect.") != std::string::npos);
  sign_in_options with_new;
  with_new.password = "a-brand-new-password";
  CHECK(sign_in(f, fresh, with_new).pages_seen == std::vector<std::string>{"sign-in"});
}

TEST_CASE("dev authority: codes and refresh tokens expire after their configured lifetimes") {
  devauthority::lifetimes instant;
  instant.authorization_code = 0s;
  instant.refresh_token = 0s;
  authority_fixture f(instant);
  browser b(*f.web, f.authority.base_url());
  auto s = sign_in(f, b);
  auto expired_code = f.redeem(f.secret_post(), token_grant::authorization_code(s.code, redirect_uri, s.pkce.verifier, {}));
  REQUIRE_FALSE(expired_code);
  CHECK(expired_code.error().has_code(70008));

  authority_fixture normal_codes({3600s, 0s, 300s});
  browser b2(*normal_codes.web, normal_codes.authority.base_url());
  auto tokens = signed_in_tokens(normal_codes, b2);
  auto expired_refresh = refresh_fails(normal_codes, tokens.refresh_token, {todo_api + "/access_as_user"});
  CHECK(expired_refresh.has_code(700082));
  CHECK(expired_refresh.reason == interaction_reason::refresh_token_expired);
}

TEST_CASE("dev authority: POST /admin/required-permission adds to an app's registration, and refuses an unknown app or API") {
  authority_fixture f;
  auto require = [&f](const std::string& form) {
    http::client_request r{"POST", f.authority.base_url() + "/admin/required-permission", {}, form, {}};
    r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    auto reply = send_and_wait(*f.web, r);
    REQUIRE(reply);
    return reply->status;
  };
  CHECK(require("client_id=" + client_id + "&resource=https%3A%2F%2Fgraph.microsoft.com&scope=mail.send") == 200);
  CHECK(require("client_id=nobody&resource=https%3A%2F%2Fgraph.microsoft.com&scope=mail.send") == 400);
  CHECK(require("client_id=" + client_id + "&resource=api%3A%2F%2Fnowhere&scope=read") == 400);
  // .default asks for the registration's permissions, the new one with them.
  browser b(*f.web, f.authority.base_url());
  sign_in_options o;
  o.scopes = {"https://graph.microsoft.com/.default"};
  auto tokens = signed_in_tokens(f, b, o);
  CHECK(claims_of(tokens.access_token.reveal()).string("scp") == "user.read mail.read mail.send");
}
