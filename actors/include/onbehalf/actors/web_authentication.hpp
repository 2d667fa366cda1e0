// Signing users in to a web app with OpenID Connect, as AddMicrosoftIdentityWebApp does: the
// challenge (a redirect for pages, a 401 for API and XHR calls), the callback that redeems the
// code through the token actor and validates the id_token, the session cookie, sign-out, the
// MicrosoftIdentity/Account routes, and the authorization policy every route passes.
#pragma once

#include "onbehalf/actors/call_failure.hpp"
#include "onbehalf/actors/session_service.hpp"
#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/core/sealing.hpp"
#include "onbehalf/core/task.hpp"
#include "onbehalf/http/router.hpp"
#include "onbehalf/identity/authority_cache.hpp"
#include "onbehalf/identity/authorize.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace onbehalf::actors {

struct web_authentication_options {
  std::string client_id;
  std::string callback_path = "/signin-oidc";
  std::string signed_out_callback_path = "/signout-callback-oidc";
  std::string sign_out_path; // another address for sign-out, besides /MicrosoftIdentity/Account/SignOut
  /// Asked for at sign-in besides openid, profile and offline_access, so consent happens up front.
  std::vector<std::string> scopes;
  identity::response_mode mode = identity::response_mode::form_post;
  key_ring cookie_keys;                     // seals session and correlation cookies; the newest key seals, all open
  std::vector<std::string> trusted_proxies; // peers whose X-Forwarded-* headers are believed
  /// Other sites whose pages may post here, or open live sockets, with the user's session
  /// (exact origins: "https://portal.example"); pages of this site always may.
  std::vector<std::string> trusted_origins;
  /// AzureAd:AllowedTenants: a multi-tenant app signs in users of these tenants (tid) only; empty: any.
  std::vector<std::string> allowed_tenants;
  /// A session cookie unused this long stops working; using it renews it (sliding expiry).
  std::chrono::seconds idle_timeout{std::chrono::hours(24 * 14)};
  std::string cookie_name = ".onbehalf.session";
  /// A sign-in must come back within this long; older correlation cookies are refused.
  std::chrono::seconds correlation_lifetime{15 * 60};
  /// B2C: the authority of another user flow than the sign-in flow; the user flows the account
  /// routes EditProfile and ResetPassword go through (AzureAd:EditProfilePolicyId, ResetPasswordPolicyId).
  std::function<identity::authority_cache*(const std::string& user_flow)> authority_for_flow;
  std::string sign_in_flow; // asking for it is asking for the default flow
  std::string edit_profile_flow;
  std::string reset_password_flow;
  /// prompt for sign-ins that do not ask for one themselves. OpenID Connect Core section 11 lets a
  /// provider issue refresh tokens (offline_access) only with prompt=consent; Entra ID needs none.
  std::string prompt;
  /// AzureAd:ClientCapabilities, declared in every authorize request's claims as MSAL does.
  std::vector<std::string> client_capabilities;
};

/// What a challenge asks the authority for; filled by the policy, the Challenge route, and (for
/// incremental consent) whatever raised the challenge.
struct sign_in_request {
  std::vector<std::string> scopes;
  std::string claims;
  std::string return_url; // local; the page to land on afterwards
  std::string prompt;
  std::string login_hint;
  std::string domain_hint;
  std::string user_flow; // B2C: the user flow to go through
  /// Kept through the round trip and handed to the sign-in observer (MIW's AuthenticationProperties.Items).
  std::vector<std::pair<std::string, std::string>> items;
  /// Why the user is sent: a plain sign-in, or consent, MFA, a claims challenge (for XHR answers).
  identity::interaction_reason reason = identity::interaction_reason::login_required;
  std::string challenge; // identifies a consent or claims challenge, for loop protection; set by challenge_user

  /// A plain sign-in that lands on `return_url`.
  static sign_in_request to(std::string return_url) {
    sign_in_request r;
    r.return_url = std::move(return_url);
    return r;
  }
};

/// A sign-in the authority vouched for, before its session starts (MIW's OnTokenValidated): the
/// app may add or change claims of `user` (roles from its own database, say), or refuse it.
struct validated_sign_in {
  http::principal user; // with the id_token's claims
  std::string correlation_id;
  /// Set by refuse(): no session starts, and the user sees a 403 page with these words.
  std::optional<std::string> refusal{};
  void refuse(std::string words_for_the_user) { refusal = std::move(words_for_the_user); }
};

/// Runs after the id_token validates and AzureAd:AllowedTenants admits the user, before the
/// session starts; it may await (a database). An exception it lets escape fails the sign-in.
using token_validated_hook = std::function<task<void>(validated_sign_in&)>;

/// Told of every completed sign-in, with the items its challenge carried.
using sign_in_observer = std::function<void(const http::principal& user, const std::vector<std::pair<std::string, std::string>>& items)>;

class web_authentication {
public:
  web_authentication(web_authentication_options options, identity::authority_cache& authority, token_service& tokens, session_service& sessions);
  ~web_authentication();
  web_authentication(const web_authentication&) = delete;
  web_authentication& operator=(const web_authentication&) = delete;

  /// The callback, signed-out callback, and MicrosoftIdentity/Account routes, all anonymous.
  void add_routes(http::router& routes);

  /// The authorization policy (an http::admission): every route needs a signed-in user unless
  /// it is anonymous, and must find its claim requirements met. Sets x->user when signed in.
  void admit(const http::route& matched, const http::exchange_ptr& x, std::function<void()> proceed) const;

  /// The session a request's cookie names, when it is readable (not whether it is still live).
  std::optional<std::string> session_id_of(const http::request& r) const;

  /// Sends the user to sign in: a 302 to the authority for pages, a 401 for API and XHR calls.
  void challenge(const http::exchange_ptr& x, sign_in_request request) const;

  /// Answers a challenge a handler raised (consent, MFA, a claims challenge) under a route's
  /// consent policy: the policy's scopes and the challenge's, its claims, the user as login
  /// hint, back to this page (a POST: to the policy's page). A challenge that comes again at
  /// once after the user completed the same one ends on an error page instead of a loop.
  void challenge_user(const http::exchange_ptr& x, const actors::challenge& c, const http::consent_policy& policy) const;

  /// The same for a live page: its browser is told where to go ({"type":"navigate","url":…}),
  /// and the user comes back to `page`.
  void live_challenge(const http::websocket_ptr& socket, const http::exchange_ptr& handshake, const actors::challenge& c,
                      const http::consent_policy& policy, const std::string& page) const;

  /// Called after every sign-in completes; set before requests arrive.
  void observe_sign_ins(sign_in_observer observer);
  /// Decides about each validated sign-in before its session starts; set before requests arrive.
  void on_token_validated(token_validated_hook hook);

  const web_authentication_options& options() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

using http::is_api_request;

} // namespace onbehalf::actors
