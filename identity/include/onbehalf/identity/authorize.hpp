// The front-channel sign-in request: PKCE (RFC 7636) and the authorize URL.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onbehalf::identity {

struct pkce_pair {
  std::string verifier;  // kept by the app, sent with the code redemption
  std::string challenge; // S256 of the verifier, sent with the authorize request
};

/// A fresh verifier of 43 base64url characters (32 random bytes) and its S256 challenge.
pkce_pair make_pkce();
std::string pkce_challenge(std::string_view verifier);

/// The scopes every sign-in asks for, before the app's own.
inline constexpr std::string_view sign_in_scopes[] = {"openid", "profile", "offline_access"};

/// "openid profile offline_access" followed by `requested`, duplicates removed, order kept.
std::string scope_parameter(const std::vector<std::string>& requested);

/// The resource a scope belongs to: "api://x/read" → "api://x"; bare names such as "user.read"
/// belong to Microsoft Graph, as Entra reads them.
std::string resource_of_scope(std::string_view scope);
/// The same, as a view into `scope` (or of a constant, for Graph): no allocation.
std::string_view resource_view_of_scope(std::string_view scope);

inline constexpr std::string_view graph_resource = "https://graph.microsoft.com";

/// A scope as RFC 6749 section 3.3 allows one: printable ASCII without space, '"' or '\\'. Scopes
/// from elsewhere (an API's 403) are kept only when they are, so none can break a header or a
/// URL they are written into.
bool is_scope_token(std::string_view scope);

/// A token request names one resource (Entra answers AADSTS28000 otherwise), though consent may
/// be asked for several at once: the scopes of the first resource among `scopes`, sign-in
/// scopes (openid, profile, offline_access, email) left out.
std::vector<std::string> scopes_of_first_resource(const std::vector<std::string>& scopes);

enum class response_mode { form_post, query };

struct authorize_request {
  std::string authorization_endpoint;
  std::string client_id;
  std::string redirect_uri;
  std::vector<std::string> scopes; // the app's scopes; the sign-in scopes are added
  std::string state;
  std::string nonce;
  std::string code_challenge; // S256
  response_mode mode = response_mode::form_post;
  std::string prompt;      // e.g. select_account, consent, login
  std::string login_hint;  // the signed-in user's name, to skip account selection
  std::string domain_hint; // e.g. the user's tenant domain
  std::string claims;      // a claims request (JSON), e.g. from a conditional-access challenge
  std::vector<std::pair<std::string, std::string>> extra_query_parameters;
};

/// The URL to redirect the browser to. Empty optional fields are left out.
std::string authorize_url(const authorize_request& r);

} // namespace onbehalf::identity
