#include "../../support/self_signed.hpp"
#include "../../support/temp_dir.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/identity/token_request.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::identity;

namespace {

const std::string endpoint = "https://login.example.com/tenant/oauth2/v2.0/token";

client_authentication secret_post() { return {client_authentication::method::client_secret_post, "client-1", secret("s3cret value"), nullptr}; }

text::form_fields body_of(const token_http_request& r) {
  auto fields = text::form_fields::parse(r.body);
  REQUIRE(fields);
  return *fields;
}

std::optional<std::string> header_of(const token_http_request& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return std::nullopt;
}

client_certificate rsa_certificate(const testing::self_signed& cert) {
  testing::temp_dir dir;
  auto path = dir.path("client.pem");
  cert.write_pem(path, path);
  auto loaded = client_certificate::from_file(path);
  INFO((loaded ? std::string() : loaded.error()));
  REQUIRE(loaded);
  return std::move(*loaded);
}

} // namespace

TEST_CASE("the authorization code grant sends the code, redirect URI, verifier and sign-in scopes") {
  auto r =
      build_token_request(endpoint, secret_post(), token_grant::authorization_code("code-1", "https://app/signin-oidc", "verifier-1", {"user.read"}));
  CHECK(r.url == endpoint);
  CHECK(header_of(r, "Content-Type") == "application/x-www-form-urlencoded");
  auto b = body_of(r);
  CHECK(b.find("grant_type") == "authorization_code");
  CHECK(b.find("code") == "code-1");
  CHECK(b.find("redirect_uri") == "https://app/signin-oidc");
  CHECK(b.find("code_verifier") == "verifier-1");
  CHECK(b.find("scope") == "openid profile offline_access user.read");
}

TEST_CASE("the refresh grant sends the refresh token and scopes") {
  auto b = body_of(build_token_request(endpoint, secret_post(), token_grant::refresh(secret("rt-1"), {"mail.read"})));
  CHECK(b.find("grant_type") == "refresh_token");
  CHECK(b.find("refresh_token") == "rt-1");
  CHECK(b.find("scope") == "openid profile offline_access mail.read");
}

TEST_CASE("the client credentials grant sends the .default scope alone") {
  auto b = body_of(build_token_request(endpoint, secret_post(), token_grant::client_credentials({"api://my-api/.default"})));
  CHECK(b.find("grant_type") == "client_credentials");
  CHECK(b.find("scope") == "api://my-api/.default");
}

TEST_CASE("on-behalf-of sends the caller's token as a jwt-bearer assertion, or as RFC 8693's subject token") {
  auto entra = body_of(build_token_request(endpoint, secret_post(), token_grant::on_behalf_of(secret("caller.jwt"), {"api://downstream/read"})));
  CHECK(entra.find("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer");
  CHECK(entra.find("assertion") == "caller.jwt");
  CHECK(entra.find("requested_token_use") == "on_behalf_of");
  CHECK(entra.find("scope") == "openid profile offline_access api://downstream/read");
  auto exchange = body_of(build_token_request(endpoint, secret_post(), token_grant::token_exchange(secret("caller.jwt"), {"downstream:read"})));
  CHECK(exchange.find("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange");
  CHECK(exchange.find("subject_token") == "caller.jwt");
  CHECK(exchange.find("subject_token_type") == "urn:ietf:params:oauth:token-type:access_token");
  CHECK(exchange.find("requested_token_type") == "urn:ietf:params:oauth:token-type:access_token");
  CHECK_FALSE(exchange.find("assertion"));
}

TEST_CASE("client_secret_post puts the client id and secret in the body") {
  auto r = build_token_request(endpoint, secret_post(), token_grant::client_credentials({"x/.default"}));
  auto b = body_of(r);
  CHECK(b.find("client_id") == "client-1");
  CHECK(b.find("client_secret") == "s3cret value");
  CHECK_FALSE(header_of(r, "Authorization"));
}

TEST_CASE("client_secret_basic sends form-encoded credentials in the Authorization header only") {
  auto auth = secret_post();
  auth.how = client_authentication::method::client_secret_basic;
  auto r = build_token_request(endpoint, auth, token_grant::client_credentials({"x/.default"}));
  CHECK(header_of(r, "Authorization") == "Basic " + base64::encode("client-1:s3cret%20value"));
  CHECK_FALSE(body_of(r).find("client_secret"));
}

TEST_CASE("a claims challenge, a correlation id and extra query parameters are sent") {
  auto grant = token_grant::refresh(secret("rt"), {"x"});
  grant.claims = R"({"access_token":{"nbf":{"essential":true,"value":"1"}}})";
  token_request_options options;
  options.correlation_id = "corr-1";
  options.extra_query_parameters = {{"dc", "ESTS-PUB"}};
  auto r = build_token_request(endpoint, secret_post(), grant, options);
  CHECK(r.url == endpoint + "?dc=ESTS-PUB");
  CHECK(header_of(r, "client-request-id") == "corr-1");
  CHECK(body_of(r).find("claims") == grant.claims);
}

TEST_CASE("private_key_jwt sends a signed assertion with the RFC 7523 claims and certificate thumbprints") {
  testing::self_signed cert(true);
  auto certificate = rsa_certificate(cert);
  client_authentication auth{client_authentication::method::private_key_jwt, "client-1", {}, signed_with(certificate)};
  auto now = std::chrono::system_clock::now();
  token_request_options options;
  options.now = now;
  auto b = body_of(build_token_request(endpoint, auth, token_grant::client_credentials({"x/.default"}), options));
  CHECK(b.find("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  CHECK_FALSE(b.find("client_secret"));

  auto assertion = parse_jwt(*b.find("client_assertion"));
  REQUIRE(assertion);
  CHECK(assertion->algorithm == jws_algorithm::rs256);
  CHECK(certificate.key().public_part().verify(assertion->algorithm, assertion->signing_input, assertion->signature));
  CHECK(assertion->header.string("x5t") == base64::encode(crypto::sha1(cert.der()), base64::alphabet::url));
  CHECK(assertion->header.string("x5t#S256") == base64::encode(crypto::sha256(cert.der()), base64::alphabet::url));
  const auto& c = assertion->claims;
  auto issued = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  CHECK(c.string("aud") == endpoint);
  CHECK(c.string("iss") == "client-1");
  CHECK(c.string("sub") == "client-1");
  CHECK(c.integer("nbf") == issued);
  CHECK(c.integer("exp") == issued + 600);
  CHECK(c.string("jti").value_or("").size() >= 16);
}

TEST_CASE("each client assertion has its own jti and lives at most ten minutes") {
  testing::self_signed cert(true);
  auto certificate = rsa_certificate(cert);
  auto now = std::chrono::system_clock::now();
  auto first = parse_jwt(make_client_assertion(certificate, "c", endpoint, now, std::chrono::hours(1)));
  auto second = parse_jwt(make_client_assertion(certificate, "c", endpoint, now));
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->claims.string("jti") != second->claims.string("jti"));
  CHECK(*first->claims.integer("exp") - *first->claims.integer("nbf") == 600);
}

TEST_CASE("a PKCS#12 certificate opens with its password") {
  testing::self_signed cert(true);
  testing::temp_dir dir;
  auto path = dir.write("client.pfx", cert.pkcs12("pfx-password"));
  auto loaded = client_certificate::from_file(path, secret("pfx-password"));
  INFO((loaded ? std::string() : loaded.error()));
  REQUIRE(loaded);
  CHECK(loaded->thumbprint_sha256() == base64::encode(crypto::sha256(cert.der()), base64::alphabet::url));
}

TEST_CASE("a PKCS#12 certificate with the wrong password is an error naming CertificatePassword") {
  testing::self_signed cert(true);
  testing::temp_dir dir;
  auto path = dir.write("client.pfx", cert.pkcs12("right"));
  auto loaded = client_certificate::from_file(path, secret("wrong"));
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().find("CertificatePassword") != std::string::npos);
  CHECK(loaded.error().find(path) != std::string::npos);
}

TEST_CASE("a base64 PKCS#12 value loads as SourceType Base64Encoded needs") {
  testing::self_signed cert(true);
  CHECK(client_certificate::from_base64_pkcs12(base64::encode(cert.pkcs12("p")), secret("p")));
  CHECK_FALSE(client_certificate::from_base64_pkcs12("!!!", secret("p")));
}

TEST_CASE("a certificate file whose key belongs to another certificate is refused") {
  testing::self_signed cert(true);
  testing::self_signed other(true);
  testing::temp_dir dir;
  cert.write_pem(dir.path("cert.pem"), dir.path("unused.pem"));
  other.write_pem(dir.path("other.pem"), dir.path("other-key.pem"));
  std::ifstream a(dir.path("cert.pem")), k(dir.path("other-key.pem"));
  std::string mixed((std::istreambuf_iterator<char>(a)), {});
  mixed.append((std::istreambuf_iterator<char>(k)), {});
  auto loaded = client_certificate::from_pem(mixed);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().find("does not belong") != std::string::npos);
}

TEST_CASE("a missing certificate file is an error naming the path") {
  auto loaded = client_certificate::from_file("/no/such/client.pfx");
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().find("/no/such/client.pfx") != std::string::npos);
}

TEST_CASE("client capabilities travel in every token request's claims, beside a challenge's, as MSAL sends them") {
  auto client = secret_post();
  client.capabilities = {"cp1"};
  auto refresh = token_grant::refresh(secret("rt-1"), {"api://a/read"});
  CHECK(body_of(build_token_request(endpoint, client, refresh)).find("claims") == R"({"access_token":{"xms_cc":{"values":["cp1"]}}})");

  refresh.claims = R"({"access_token":{"acrs":{"essential":true,"value":"c1"}}})";
  CHECK(body_of(build_token_request(endpoint, client, refresh)).find("claims") ==
        R"({"access_token":{"acrs":{"essential":true,"value":"c1"},"xms_cc":{"values":["cp1"]}}})");

  CHECK(body_of(build_token_request(endpoint, secret_post(), refresh)).find("claims") == refresh.claims); // none declared: as it was
}

TEST_CASE("a claims request that is not a JSON object is sent as it is, without the capabilities") {
  CHECK(with_client_capabilities("[1, 2]", {"cp1"}) == "[1, 2]");
  CHECK(with_client_capabilities("{not json", {"cp1"}) == "{not json");
  CHECK(with_client_capabilities(R"({"id_token":{}})", {"cp1"}) == R"({"id_token":{},"access_token":{"xms_cc":{"values":["cp1"]}}})");
}
