// The development authority as tests meet it: a sample directory (users, APIs, an app with a
// secret and a certificate), the running authority, and a browser-like sign-in through its pages.
#pragma once

#include "browser.hpp"
#include "self_signed.hpp"
#include "temp_dir.hpp"
#include "token_client.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/devauthority/dev_authority.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/identity/discovery.hpp"
#include "onbehalf/identity/id_token.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <openssl/pem.h>

#include <catch2/catch.hpp>

namespace onbehalf::testing::dev {

using namespace onbehalf::identity;
using namespace std::chrono_literals;

inline const std::string tenant_id = "7f9c1a2e-0000-4000-8000-000000000001";
inline const std::string fabrikam_tenant_id = "9b8a7c6d-0000-4000-8000-000000000002";
inline const std::string client_id = "web-app-client";
inline const std::string redirect_uri = "http://127.0.0.1:9/signin-oidc";
inline const std::string todo_api = "api://todo-api";
inline const std::string sensitive_api = "api://sensitive-api";

inline std::string certificate_pem(const self_signed& cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert.certificate.get());
  char* data = nullptr;
  auto length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

inline devauthority::directory sample_directory(const self_signed& client_cert, devauthority::lifetimes lifetimes = {}) {
  devauthority::directory d;
  d.token_lifetimes = lifetimes;
  d.port = 0;
  d.admin_enabled = true;
  devauthority::tenant t;
  t.id = tenant_id;
  t.domain = "contoso.onmicrosoft.com";
  t.user_flows = {"b2c_1_susi", "b2c_1_edit_profile", "b2c_1_reset"};
  t.users = {{"ada@contoso.onmicrosoft.com", secret("ada-password-1"), "Ada Lovelace", "oid-ada"},
             {"grace@contoso.onmicrosoft.com", secret("grace-password-1"), "Grace Hopper", "oid-grace"}};
  t.resources = {{todo_api, "todo-api-app-id", {"access_as_user", "Todo.ReadWrite"}, {"Todo.Read.All", "Todo.ReadWrite.All"}, false},
                 {"https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000", {"user.read", "mail.read", "mail.send"}, {}, false},
                 {sensitive_api, "sensitive-app-id", {"access_as_user"}, {}, true}};
  devauthority::app a;
  a.client_id = client_id;
  a.display_name = "Sample web app";
  a.secrets = {secret("web-app-secret-1")};
  a.certificates = {*trusted_certificate::from_pem(certificate_pem(client_cert))};
  a.redirect_uris = {redirect_uri};
  a.post_logout_redirect_uris = {"http://127.0.0.1:9/signed-out"};
  a.required_permissions = {{todo_api, {"access_as_user"}}, {"https://graph.microsoft.com", {"user.read", "mail.read"}}};
  a.application_permissions = {{todo_api, {"Todo.Read.All", "Todo.ReadWrite.All"}}};
  // Workload identities the app trusts instead of a secret: a Kubernetes service account, and
  // the user-assigned managed identity below.
  a.federated_credentials = {{"{base}/kubernetes", "system:serviceaccount:shop:web"}, {"{base}/" + tenant_id + "/v2.0", "mi-user-object"}};
  // The todo API as a client too: a middle tier that calls Graph and the sensitive API on behalf
  // of its callers, with its administrator-consented (static) permissions.
  devauthority::app middle;
  middle.client_id = "todo-api-app-id";
  middle.display_name = "Todo API";
  middle.secrets = {secret("todo-api-secret-1")};
  middle.required_permissions = {{"https://graph.microsoft.com", {"user.read"}}, {sensitive_api, {"access_as_user"}}};
  t.apps = {a, middle};
  t.managed_identities = {{"mi-system-client", "mi-system-object", true, {{todo_api, {"Todo.Read.All"}}}},
                          {"mi-user-client", "mi-user-object", false, {{todo_api, {"Todo.ReadWrite.All"}}}}};
  // A customer's tenant, where the same (multi-tenant) app is registered too.
  devauthority::tenant fabrikam;
  fabrikam.id = fabrikam_tenant_id;
  fabrikam.domain = "fabrikam.onmicrosoft.com";
  fabrikam.resources = {t.resources.front()};
  devauthority::app in_fabrikam;
  in_fabrikam.client_id = client_id;
  in_fabrikam.secrets = {secret("web-app-secret-1")};
  in_fabrikam.application_permissions = {{todo_api, {"Todo.Read.All"}}};
  fabrikam.apps = {in_fabrikam};
  d.tenants = {t, fabrikam};
  return d;
}

struct authority_fixture {
  self_signed client_cert{true};
  temp_dir dir;
  devauthority::dev_authority authority;
  std::unique_ptr<http::client> web = make_client();
  std::unique_ptr<client_certificate> certificate;
  provider_metadata metadata;
  key_set keys;

  explicit authority_fixture(devauthority::lifetimes lifetimes = {}) : authority(sample_directory(client_cert, lifetimes)) {
    REQUIRE(authority.start());
    metadata = discover(tenant_id);
    keys = fetch_keys();
    auto path = dir.path("client.pem");
    client_cert.write_pem(path, path);
    certificate = std::make_unique<client_certificate>(*client_certificate::from_file(path));
  }

  provider_metadata discover(const std::string& tenant, const std::string& policy = {}) {
    auto address = policy.empty() ? authority.authority(tenant) : authority.user_flow_authority(tenant, policy);
    auto reply = send_and_wait(*web, {"GET", metadata_address(address), {}, {}, {}});
    REQUIRE(reply);
    INFO(reply->body);
    auto parsed = parse_provider_metadata(reply->body);
    REQUIRE(parsed);
    return *parsed;
  }

  key_set fetch_keys() {
    auto reply = send_and_wait(*web, {"GET", metadata.jwks_uri, {}, {}, {}});
    REQUIRE(reply);
    return *key_set::parse(reply->body);
  }

  client_authentication secret_post() const {
    return {client_authentication::method::client_secret_post, client_id, secret("web-app-secret-1"), nullptr};
  }

  result<token_response, token_failure> redeem(const client_authentication& client, const token_grant& grant) {
    return testing::redeem(*web, build_token_request(metadata.token_endpoint, client, grant));
  }
};

struct sign_in_options {
  std::vector<std::string> scopes = {todo_api + "/access_as_user"};
  std::string user = "ada@contoso.onmicrosoft.com";
  std::string password = "ada-password-1";
  std::string prompt;
  std::string claims;
  std::string nonce = "nonce-1";
  std::string authorization_endpoint; // another authority's (a B2C user flow's); the tenant's by default
  std::string token_endpoint;         // where the code is redeemed: the tenant's by default
  std::string new_display_name;       // for the edit-profile page
  std::string new_password;           // for the reset-password page
  bool forgets_password = false;      // on a B2C sign-in page, once
  bool cancels_profile_edit = false;  // on the edit-profile page
};

struct sign_in_result : devauthority::pages_answered {
  std::string code;
  pkce_pair pkce;
};

inline devauthority::person person_of(const sign_in_options& o) {
  devauthority::person p;
  p.user = o.user;
  p.password = o.password;
  p.new_display_name = o.new_display_name;
  p.new_password = o.new_password;
  p.forgets_password = o.forgets_password;
  p.cancels_profile_edit = o.cancels_profile_edit;
  return p;
}

inline authorize_request authorize_for(const authority_fixture& f, const sign_in_options& o, const pkce_pair& pkce) {
  authorize_request r;
  r.authorization_endpoint = o.authorization_endpoint.empty() ? f.metadata.authorization_endpoint : o.authorization_endpoint;
  r.client_id = client_id;
  r.redirect_uri = redirect_uri;
  r.scopes = o.scopes;
  r.state = "state-1";
  r.nonce = o.nonce;
  r.code_challenge = pkce.challenge;
  r.mode = response_mode::query;
  r.prompt = o.prompt;
  r.claims = o.claims;
  return r;
}

// Answers one of the authority's pages as a person would (sign-in, consent, MFA, profile,
// password reset); nullopt for a page that is not one of them.
inline std::optional<http::client_response> answer_authority_page(browser& b, const http::client_response& page, const sign_in_options& o,
                                                                  devauthority::pages_answered& seen) {
  auto answered = devauthority::answer_authority_page(b, page, person_of(o), seen);
  if (!answered) return std::nullopt;
  INFO((*answered ? std::string() : answered->error()));
  REQUIRE(*answered);
  return std::move(**answered);
}

// Signs in through the authority's pages as a person would, answering each page it shows.
inline sign_in_result sign_in(authority_fixture& f, browser& b, const sign_in_options& o = {}) {
  sign_in_result result;
  result.pkce = make_pkce();
  auto visit = devauthority::browse(b, "GET", authorize_url(authorize_for(f, o, result.pkce)), person_of(o), {}, redirect_uri);
  INFO((visit ? std::string() : visit.error()));
  REQUIRE(visit);
  static_cast<devauthority::pages_answered&>(result) = visit->authority_pages;
  INFO("sign-in ended at " << visit->last_url << ": " << visit->last.status << " " << visit->last.body.substr(0, 400));
  REQUIRE(visit->last_url.starts_with(redirect_uri));
  auto query = text::form_fields::parse(visit->last_url.substr(visit->last_url.find('?') + 1));
  REQUIRE(query);
  REQUIRE(query->find("code"));
  CHECK(query->find("state") == "state-1");
  result.code = std::string(*query->find("code"));
  return result;
}

inline token_response signed_in_tokens(authority_fixture& f, browser& b, const sign_in_options& o = {}) {
  auto s = sign_in(f, b, o);
  auto grant = token_grant::authorization_code(s.code, redirect_uri, s.pkce.verifier, scopes_of_first_resource(o.scopes));
  auto endpoint = o.token_endpoint.empty() ? f.metadata.token_endpoint : o.token_endpoint;
  auto tokens = testing::redeem(*f.web, build_token_request(endpoint, f.secret_post(), grant));
  INFO((tokens ? std::string() : tokens.error().message()));
  REQUIRE(tokens);
  return *tokens;
}

inline json_object claims_of(const std::string& token) {
  auto jwt = parse_jwt(token);
  REQUIRE(jwt);
  return jwt->claims;
}

inline token_failure refresh_fails(authority_fixture& f, const secret& refresh_token, const std::vector<std::string>& scopes) {
  auto r = f.redeem(f.secret_post(), token_grant::refresh(refresh_token, scopes));
  REQUIRE_FALSE(r);
  return r.error();
}

} // namespace onbehalf::testing::dev
