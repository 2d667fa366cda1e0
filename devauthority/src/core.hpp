// The dev authority's state and the helpers its endpoints share. Private to devauthority/.
#pragma once

#include "onbehalf/core/text.hpp"
#include "onbehalf/devauthority/dev_authority.hpp"
#include "onbehalf/http/exchange.hpp"
#include "onbehalf/identity/jose.hpp"

#include <boost/json/object.hpp>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace onbehalf::devauthority {

using clock = std::chrono::system_clock;

/// An authorize request on its way through sign-in, consent and second factor.
struct pending_flow {
  std::string prefix;      // "/{tenant}", or "/tfp/{tenant}/{policy}" for a B2C user flow
  std::string tenant_path; // as in the URL: id, domain, common or organizations
  std::string policy;      // the B2C user flow, lower case; empty for plain sign-in
  std::string client_id;
  std::string redirect_uri;
  std::string state;
  std::string nonce;
  std::string code_challenge;
  bool form_post = true;
  std::vector<std::string> scopes;
  std::string prompt;
  std::string login_hint;
  std::string claims; // a claims challenge: asks for a second factor
  std::string user_name;
  bool consented = false;
  bool profile_edited = false;
  clock::time_point expires;
};

struct issued_code {
  std::string policy;
  std::string client_id;
  std::string redirect_uri;
  std::string code_challenge;
  std::string nonce;
  std::string user_name;
  std::vector<std::string> scopes;
  std::vector<std::string> amr;
  clock::time_point expires;
  bool redeemed = false;
  std::string claims; // the authorize request's claims: authentication contexts its tokens carry
};

struct issued_refresh_token {
  std::string policy;
  std::string family; // all refresh tokens descended from one sign-in
  std::string client_id;
  std::string user_name;
  std::vector<std::string> amr;
  clock::time_point expires;
  bool rotated = false; // used once already: reuse means theft, and revokes the family
};

struct sign_in_session {
  std::string user_name;
  bool second_factor = false;
};

/// Everything the endpoints share; one mutex guards the mutable parts.
struct authority_core {
  directory dir;

  /// Known once the server listens (its port may be chosen then); every request reads it, from
  /// the I/O threads, so it has a lock of its own.
  std::string base_url() const {
    std::lock_guard lock(base_url_mutex_);
    return base_url_;
  }
  void set_base_url(std::string url) {
    std::lock_guard lock(base_url_mutex_);
    base_url_ = std::move(url);
  }

  std::mutex mutex;
  identity::signing_key signing_key = identity::signing_key::generate(identity::jws_algorithm::rs256);
  std::string key_id = "devauthority-1";
  std::vector<std::pair<std::string, identity::public_key>> retired_keys; // still published after a rotation
  std::map<std::string, pending_flow> flows;
  std::map<std::string, issued_code> codes;
  std::map<std::string, issued_refresh_token> refresh_tokens;
  std::map<std::string, sign_in_session> sessions;
  std::set<std::string> revoked_families;
  /// Each sign-in's family (the "sid" of the access tokens issued from it) → its user, so that
  /// revoking a user's sessions reaches tokens issued without a refresh token too.
  std::map<std::string, std::string> family_owners;
  std::set<std::string> seen_assertion_ids;
  /// user name + client id + resource → consented scopes
  std::map<std::string, std::set<std::string>> consents;
  faults injected;
  std::map<std::string, std::size_t> token_requests;
  std::deque<token_request_record> recent_token_requests; // newest last

  /// The tenant a URL path names; nullptr for an unknown one. Multi-tenant names return the first tenant.
  const tenant* tenant_for(std::string_view path) const;
  const app* find_app(std::string_view client_id) const;
  std::string issuer_for(const tenant& t) const { return base_url() + "/" + t.id + "/v2.0"; }
  /// An address under a route prefix ("/{tenant}" or "/tfp/{tenant}/{policy}").
  std::string endpoint(std::string_view prefix, std::string_view rest) const { return base_url() + std::string(prefix) + std::string(rest); }
  /// Users can change their name and password through B2C user flows.
  user* mutable_user(std::string_view user_name);

private:
  mutable std::mutex base_url_mutex_;
  std::string base_url_;

public:
  static std::string consent_key(std::string_view user, std::string_view client, std::string_view resource) {
    return std::string(user) + "\n" + std::string(client) + "\n" + std::string(resource);
  }
};

/// Entra-shaped error bodies and the code that reports them.
struct protocol_error {
  protocol_error(unsigned s, std::string e, long code, std::string d, std::string c = {})
      : status(s), error(std::move(e)), aadsts(code), description(std::move(d)), claims(std::move(c)) {}
  unsigned status;
  std::string error;
  long aadsts;
  std::string description;
  std::string claims; // a claims challenge for the next authorize request
};

/// An Entra-shaped error body. `correlation_id` is the caller's client-request-id, echoed as
/// Entra does; a random one when the caller sent none.
http::response error_response(const protocol_error& e, std::string_view correlation_id = {});
/// The route prefix of a request: "/tfp/{tenant}/{policy}" when a B2C policy is named, else "/{tenant}".
std::string route_prefix(const http::exchange& x);
/// Checks a B2C policy in the URL against the tenant's user flows; empty when there is none.
std::optional<protocol_error> check_policy(const authority_core& core, const http::exchange& x);
http::response json_response(unsigned status, std::string body);
std::optional<text::form_fields> form_of(const http::exchange& x);

/// The resource scopes of a request (OpenID scopes left out), with "{resource}/.default" expanded to the
/// app's required permissions. Fails for unknown scopes.
/// The scopes a request names, per resource, by their declared names (scopes compare without
/// case, as Entra's do). `.default` stands for the app's required permissions, which a tenant
/// administrator has consented to: those need no user consent (static permissions).
struct requested_scopes {
  std::vector<std::string> names;
  std::set<std::string> admin_consented;
};
result<std::map<const resource*, requested_scopes>, protocol_error> resource_scopes(const tenant& t, const app& a,
                                                                                    const std::vector<std::string>& scopes);
bool is_openid_scope(std::string_view scope);
/// The claims challenge a resource's MFA policy sends back.
/// The authentication contexts (Conditional Access "acrs") a claims request asks for; each needs
/// a second factor, and tokens that satisfy them name them in their "acrs" claim.
std::vector<std::string> requested_contexts(std::string_view claims);

inline constexpr std::string_view mfa_claims_challenge = R"({"access_token":{"capolids":{"essential":true,"values":["devauthority-require-mfa"]}}})";

inline long long seconds_since_epoch(clock::time_point t) { return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count(); }
/// A resource of the tenant by App ID URI (a trailing slash ignored, as v1 resources are written) or app id.
const resource* find_resource(const tenant& t, std::string_view uri);
/// Signs claims with the current key, naming its kid.
std::string sign(authority_core& core, const boost::json::object& claims);
/// Who an app-only token is for: an app (its client id twice) or a managed identity.
struct app_principal {
  std::string_view client_id;
  std::string_view object_id;
  const std::map<std::string, std::vector<std::string>>& application_permissions;
};
/// An app-only access token for a resource, with the roles granted to the principal, shaped for
/// the resource's token version.
std::string app_only_access_token(authority_core& core, const tenant& t, const resource& res, const app_principal& who,
                                  std::chrono::seconds lifetime);
/// Accepts a client assertion issued to a workload by another issuer (a federated identity
/// credential of app `client_id`). The dev authority trusts the tokens it signed itself: those of
/// its workload issuer and of its managed identities.
result<const app*, protocol_error> authenticate_federated(authority_core& core, const identity::jwt& assertion, const std::string& client_id);
/// A workload's token as a Kubernetes cluster projects it: issuer {base}/kubernetes.
std::string workload_token(authority_core& core, std::string_view subject, std::string_view audience, std::chrono::seconds lifetime);

// Endpoint handlers, by file.
void handle_authorize(authority_core& core, const http::exchange_ptr& x);
void handle_continue(authority_core& core, const http::exchange_ptr& x);
void handle_sign_in(authority_core& core, const http::exchange_ptr& x);
void handle_consent(authority_core& core, const http::exchange_ptr& x);
void handle_second_factor(authority_core& core, const http::exchange_ptr& x);
void handle_edit_profile(authority_core& core, const http::exchange_ptr& x);
void handle_reset_password(authority_core& core, const http::exchange_ptr& x);
void handle_logout(authority_core& core, const http::exchange_ptr& x);
void handle_token(authority_core& core, const http::exchange_ptr& x);
/// The managed-identity endpoints: IMDS's (Metadata: true) and App Service's (X-IDENTITY-HEADER).
void handle_managed_identity_imds(authority_core& core, const http::exchange_ptr& x);
void handle_managed_identity_app_service(authority_core& core, const http::exchange_ptr& x);

} // namespace onbehalf::devauthority
