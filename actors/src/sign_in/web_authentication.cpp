#include "onbehalf/actors/web_authentication.hpp"

#include "sign_in/session_ticket.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/core/untrusted_time.hpp"
#include "onbehalf/http/cookies.hpp"
#include "onbehalf/http/cross_origin.hpp"
#include "onbehalf/http/forwarded.hpp"
#include "onbehalf/http/return_url.hpp"
#include "onbehalf/http/www_authenticate.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/identity/id_token.hpp"
#include "onbehalf/identity/sign_in_correlation.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/json/value.hpp"

#include <algorithm>
#include <optional>

namespace onbehalf::actors {

namespace {

using clock = std::chrono::system_clock;

constexpr std::string_view account_prefix = "/MicrosoftIdentity/Account/";
constexpr std::string_view sign_in_again = "Sign in again";
constexpr std::string_view sign_in_link = "/MicrosoftIdentity/Account/SignIn";

// Answers and returns nothing, so a handler can `return reply(...)` on every path.
void reply(const http::exchange_ptr& x, http::response r) { x->respond(std::move(r)); }

std::string account_path(std::string_view action) { return std::string(account_prefix) + std::string(action); }

// A page for a sign-in that could not be finished: what happened in plain words, and a way on.
http::response sign_in_failed(std::string_view message) {
  return http::response::page(400, "Sign-in could not be completed", message, sign_in_again, sign_in_link);
}

http::response authority_unavailable() {
  auto r = http::response::page(503, "Sign-in is unavailable", "The sign-in service cannot be reached right now. Please try again in a minute.",
                                "Try again", sign_in_link);
  r.headers.set("Retry-After", "30");
  return r;
}

http::response session_check_unavailable() {
  auto r = http::response::page(503, "Your sign-in cannot be checked right now",
                                "This site cannot reach the store that keeps sign-ins. You are still signed in; please try again in a moment.",
                                "Try again", "");
  r.headers.set("Retry-After", "5");
  return r;
}

// The local return URL a query parameter names ("redirectUri", as MIW's account controller reads it).
result<std::string, http::response> return_url_from(const text::form_fields& query) {
  auto candidate = query.find("redirectUri").value_or(query.find("returnUrl").value_or("/"));
  if (candidate.empty()) return std::string("/");
  if (auto local = http::local_return_url(candidate)) return *local;
  return failure{
      http::response::page(400, "That return address is not allowed", "After signing in you can only be sent back to a page of this site.")};
}

// Where a sign-in started by this request lands: the request itself for a GET, else the home
// page, since a browser cannot repeat a POST (or PUT, DELETE) after a round trip of redirects.
std::string return_url_after_sign_in(const http::request& r) {
  if (r.method != "GET" && r.method != "HEAD") return "/";
  return http::local_return_url(r.target).value_or("/");
}

} // namespace

struct web_authentication::impl : std::enable_shared_from_this<web_authentication::impl> {
  web_authentication_options options;
  sign_in_observer observer;
  token_validated_hook on_validated;
  identity::authority_cache& authority;
  token_service& tokens;
  session_service& sessions;
  opened_tickets tickets;

  impl(web_authentication_options o, identity::authority_cache& a, token_service& t, session_service& s)
      : options(std::move(o)), authority(a), tokens(t), sessions(s), tickets(options.cookie_keys) {}

  // The user flows a browser may name at the anonymous Challenge route: the configured ones, and
  // those the app's own code asked for, whose Challenge address carries a sealed proof of it
  // (any instance with the cookie keys opens it, after a restart too). Any other name would make
  // an authority and token actors of its own, for anyone who asks.
  static constexpr std::string_view flow_proof_purpose = "onbehalf.user-flow";

  std::string flow_proof(const std::string& flow) const { return options.cookie_keys.seal(text::to_lower(flow), flow_proof_purpose); }

  bool may_use_flow(std::string_view flow, std::optional<std::string_view> proof) const {
    if (flow.empty()) return true;
    for (const auto* configured : {&options.sign_in_flow, &options.edit_profile_flow, &options.reset_password_flow})
      if (!configured->empty() && text::iequals(*configured, flow)) return true;
    if (!proof) return false;
    auto opened = options.cookie_keys.open(*proof, flow_proof_purpose);
    return opened && *opened == text::to_lower(flow);
  }

  http::request_origin origin(const http::request& r) const { return http::origin_of(r, options.trusted_proxies); }

  // The sign-in flow's authority, or a B2C user flow's.
  identity::authority_cache& authority_of(const std::string& user_flow) const {
    if (user_flow.empty() || !options.authority_for_flow) return authority;
    auto* a = options.authority_for_flow(user_flow);
    return a ? *a : authority;
  }

  // Over https a cookie's name carries __Host- (path /) or __Secure- (a narrower path): a browser
  // then takes it only from this host over TLS, so a sibling subdomain cannot plant or overwrite
  // it (cookie tossing). Plain http (development on loopback) keeps the plain names.
  std::string cookie_name(const http::request& r, std::string_view name, bool whole_site = true) const {
    if (origin(r).scheme != "https") return std::string(name);
    return (whole_site ? "__Host-" : "__Secure-") + std::string(name);
  }

  http::cookie_attributes session_cookie(const http::request& r) const {
    http::cookie_attributes a;
    a.secure = origin(r).scheme == "https";
    return a;
  }

  // form_post brings the user back with a cross-site POST, which carries SameSite=None cookies
  // only; browsers accept those over https alone. On http (development, loopback) the authority
  // and the app share a site, so Lax reaches the callback.
  http::cookie_attributes correlation_cookie(const http::request& r) const {
    http::cookie_attributes a;
    a.secure = origin(r).scheme == "https";
    a.path = options.callback_path;
    a.max_age = options.correlation_lifetime;
    if (a.secure && options.mode == identity::response_mode::form_post) a.same_site = "None";
    return a;
  }

  std::string redirect_uri(const http::request& r) const { return origin(r).base() + options.callback_path; }

  void remove_session_cookie(const http::exchange_ptr& x) const {
    for (auto& header : http::expire_chunked_cookie(x->req().headers, cookie_name(x->req(), options.cookie_name), session_cookie(x->req())))
      x->add_response_header("Set-Cookie", std::move(header));
  }

  void set_session_cookie(http::response& r, const http::request& req, const session_ticket& t) const {
    auto name = cookie_name(req, options.cookie_name);
    for (auto& header :
         http::set_chunked_cookie(name, seal_ticket(options.cookie_keys, t), session_cookie(req), http::read_chunk_count(req.headers, name)))
      r.headers.add("Set-Cookie", std::move(header));
  }

  // --- the challenge ---

  void challenge(const http::exchange_ptr& x, sign_in_request request) const {
    if (text::iequals(request.user_flow, options.sign_in_flow)) request.user_flow.clear();
    if (request.return_url.empty()) request.return_url = "/";
    if (http::is_api_request(x->req())) return reply(x, api_challenge(x->req(), request));
    auto self = shared_from_this();
    authority_of(request.user_flow).get([self, x, request = std::move(request)](result<identity::authority_cache::snapshot_ptr, std::string> a) {
      if (!a) {
        log_warning("Could not send a user to sign in: the authority is unreachable", {{"cid", x->req().correlation_id}, {"error", a.error()}});
        return reply(x, authority_unavailable());
      }
      x->respond(self->redirect_to_authority(x->req(), (*a)->metadata, request));
    });
  }

  http::response redirect_to_authority(const http::request& req, const identity::provider_metadata& metadata, const sign_in_request& s) const {
    auto slot = identity::next_sign_in_slot(http::find_cookie(req.headers, cookie_name(req, identity::sign_in_counter_cookie)));
    auto correlation = identity::new_sign_in_correlation(s.return_url, s.user_flow, clock::now(), slot);
    correlation.items = s.items;
    correlation.challenge = s.challenge;
    correlation.scopes = s.scopes;
    correlation.scopes.insert(correlation.scopes.end(), options.scopes.begin(), options.scopes.end());
    identity::authorize_request a;
    a.authorization_endpoint = metadata.authorization_endpoint;
    a.client_id = options.client_id;
    a.redirect_uri = redirect_uri(req);
    a.scopes = options.scopes;
    a.scopes.insert(a.scopes.end(), s.scopes.begin(), s.scopes.end());
    a.state = correlation.state;
    a.nonce = correlation.nonce;
    a.code_challenge = identity::pkce_challenge(correlation.code_verifier);
    a.mode = options.mode;
    a.prompt = s.prompt.empty() ? options.prompt : s.prompt;
    a.login_hint = s.login_hint;
    a.domain_hint = s.domain_hint;
    a.claims = identity::with_client_capabilities(s.claims, options.client_capabilities);
    auto r = http::response::redirect(identity::authorize_url(a));
    r.headers.add("Set-Cookie", http::set_cookie(cookie_name(req, identity::correlation_cookie_name(correlation.state), false),
                                                 identity::seal_correlation(options.cookie_keys, correlation), correlation_cookie(req)));
    http::cookie_attributes counter;
    counter.secure = origin(req).scheme == "https";
    counter.max_age = options.correlation_lifetime;
    r.headers.add("Set-Cookie", http::set_cookie(cookie_name(req, identity::sign_in_counter_cookie),
                                                 std::to_string((slot + 1) % identity::sign_in_slots), counter));
    return r;
  }

  // A script cannot follow a redirect to a sign-in page; it gets where to send the user instead:
  //   WWW-Authenticate: OpenIdConnect error="consent_required", scope="…", claims="…",
  //                     authorization_uri="{app}/MicrosoftIdentity/Account/Challenge?…"
  // error is login_required, consent_required or interaction_required (MFA, a claims challenge);
  // claims is the claims request, base64-encoded as Entra encodes it in its own challenges.
  // The account Challenge route that sends a user to the authority for `s`: where a script
  // (or a live page) sends the browser.
  std::string challenge_path(const sign_in_request& s) const {
    text::form_fields query;
    query.add("redirectUri", s.return_url);
    if (!s.scopes.empty()) query.add("scope", text::join(s.scopes, " "));
    if (!s.claims.empty()) query.add("claims", s.claims);
    if (!s.user_flow.empty()) query.add("userFlow", s.user_flow).add("userFlowProof", flow_proof(s.user_flow));
    if (!s.login_hint.empty()) query.add("loginHint", s.login_hint);
    if (!s.domain_hint.empty()) query.add("domainHint", s.domain_hint);
    return account_path("Challenge") + "?" + query.encode();
  }

  http::response api_challenge(const http::request& req, const sign_in_request& s) const {
    auto sign_in_uri = origin(req).base() + challenge_path(s);
    using reason = identity::interaction_reason;
    std::string error = s.reason == reason::consent_required                                         ? "consent_required"
                        : (s.reason == reason::mfa_required || s.reason == reason::claims_challenge) ? "interaction_required"
                                                                                                     : "login_required";
    std::string header = "OpenIdConnect error=" + http::quoted_string(error);
    if (!s.scopes.empty()) header += ", scope=" + http::quoted_string(text::join(s.scopes, " "));
    if (!s.claims.empty()) header += ", claims=" + http::quoted_string(base64::encode(s.claims));
    header += ", authorization_uri=" + http::quoted_string(sign_in_uri);
    auto message = error == "login_required" ? "Sign in to continue." : "This needs your consent or another sign-in step.";
    auto r = http::response::json(401, "{\"error\":\"" + error + "\",\"message\":\"" + message + "\"}");
    r.headers.set("WWW-Authenticate", header);
    r.headers.set("Cache-Control", "no-store");
    return r;
  }

  // --- challenges raised by handlers ---

  // What a handler's challenge asks the authority for under a route's consent policy: the
  // policy's scopes and the challenge's, its claims, the user as login hint, back to `return_url`.
  sign_in_request request_for(const http::exchange_ptr& x, const actors::challenge& c, const http::consent_policy& policy,
                              std::string return_url) const {
    sign_in_request s;
    s.scopes = policy.scopes;
    for (const auto& scope : c.scopes)
      if (std::find(s.scopes.begin(), s.scopes.end(), scope) == s.scopes.end()) s.scopes.push_back(scope);
    s.claims = c.claims;
    s.user_flow = policy.user_flow.empty() ? c.user_flow : policy.user_flow;
    s.login_hint = !c.login_hint.empty() ? c.login_hint : x->user ? std::string(x->user->username()) : std::string();
    if (auto at = s.login_hint.find('@'); at != std::string::npos) s.domain_hint = s.login_hint.substr(at + 1);
    s.domain_hint = c.domain_hint.empty() ? s.domain_hint : c.domain_hint;
    s.reason = c.reason;
    s.return_url = http::local_return_url(return_url).value_or("/");
    return s;
  }

  void challenge_user(const http::exchange_ptr& x, const actors::challenge& c, const http::consent_policy& policy) const {
    const auto& req = x->req();
    bool repeatable = req.method == "GET" || req.method == "HEAD";
    auto s = request_for(x, c, policy, repeatable ? req.target : policy.return_path_after_post.empty() ? "/" : policy.return_path_after_post);
    s.challenge = challenge_fingerprint(s);
    if (!http::is_api_request(req) && repeats_at_once(req, s.challenge)) {
      log_warning("A consent or claims challenge came again right after the user completed it; stopped instead of looping",
                  {{"cid", req.correlation_id}, {"scopes", text::join(s.scopes, " ")}, {"return_url", s.return_url}});
      x->add_response_header("Set-Cookie", http::expire_cookie(cookie_name(req, loop_guard_cookie), loop_guard_attributes(req)));
      return reply(x, http::response::page(403, "Access could not be granted",
                                           "The sign-in service granted access, but this page still cannot get it. An administrator may "
                                           "need to consent for your organisation, or a policy blocks it. Try again later.",
                                           "Go to the home page", "/"));
    }
    challenge(x, std::move(s));
  }

  void live_challenge(const http::websocket_ptr& socket, const http::exchange_ptr& handshake, const actors::challenge& c,
                      const http::consent_policy& policy, const std::string& page) const {
    auto s = request_for(handshake, c, policy, page);
    log_info("A live page needs the user at the authority; telling the browser",
             {{"cid", handshake->req().correlation_id}, {"scopes", text::join(s.scopes, " ")}});
    socket->send(json::serialize(json::object{{"type", "navigate"}, {"url", challenge_path(s)}}));
  }

  // What identifies a challenge: the same page asking for the same access again.
  static std::string challenge_fingerprint(const sign_in_request& s) {
    auto scopes = s.scopes;
    std::sort(scopes.begin(), scopes.end());
    return base64::encode(crypto::sha256(s.return_url + "\n" + text::join(scopes, " ") + "\n" + s.claims + "\n" + s.user_flow),
                          base64::alphabet::url);
  }

  static constexpr std::string_view loop_guard_cookie = ".onbehalf.consent";
  static constexpr std::string_view loop_guard_purpose = "onbehalf.consent-loop";
  static constexpr std::chrono::seconds loop_window{60};

  http::cookie_attributes loop_guard_attributes(const http::request& r) const {
    auto a = session_cookie(r);
    a.max_age = loop_window;
    return a;
  }

  // The loop guard a completed challenge left: its fingerprint and when it completed.
  bool repeats_at_once(const http::request& r, const std::string& fingerprint) const {
    auto sealed = http::find_cookie(r.headers, cookie_name(r, loop_guard_cookie));
    if (!sealed) return false;
    auto opened = options.cookie_keys.open(*sealed, loop_guard_purpose);
    if (!opened) return false;
    auto bar = opened->find('|');
    if (bar == std::string::npos || opened->substr(bar + 1) != fingerprint) return false;
    auto completed = instant_from_untrusted(text::parse_unsigned(opened->substr(0, bar)).value_or(0));
    return clock::now() - completed < loop_window;
  }

  std::string loop_guard_for(const std::string& fingerprint) const {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(clock::now().time_since_epoch()).count();
    return options.cookie_keys.seal(std::to_string(now) + "|" + fingerprint, loop_guard_purpose);
  }

  // --- the policy ---

  // Where a request without a usable session goes: on to an anonymous route, else to sign-in.
  void challenge_or_proceed(const http::route& matched, const http::exchange_ptr& x, const std::function<void()>& proceed) const {
    if (matched.anonymous) return proceed();
    challenge(x, sign_in_request::to(return_url_after_sign_in(x->req())));
  }

  // A page of another site that makes the browser post here, or open a live socket, with the
  // user's cookies (cross-site request forgery, cross-site WebSocket hijacking).
  bool from_another_site(const http::request& r) const {
    return http::acts_for_user(r) && http::is_cross_origin(r, origin(r).base(), options.trusted_origins);
  }

  void refuse_cross_site(const http::exchange_ptr& x) const {
    const auto& r = x->req();
    log_warning("Refused a request another site's page made with a user's session (Onbehalf:SignIn:TrustedOrigins lists the sites allowed)",
                {{"cid", r.correlation_id},
                 {"method", r.method},
                 {"path", r.path},
                 {"origin", r.headers.find("Origin").value_or("")},
                 {"fetch_site", r.headers.find("Sec-Fetch-Site").value_or("")}});
    reply(x, http::response::page(403, "This request came from another site",
                                  "A page of another site asked your browser to do this as you, so it was not done. If you meant to, "
                                  "do it again from this site's own pages."));
  }

  void admit(const http::route& matched, const http::exchange_ptr& x, std::function<void()> proceed) const {
    auto cookie = http::read_chunked_cookie(x->req().headers, cookie_name(x->req(), options.cookie_name));
    if (!cookie) return challenge_or_proceed(matched, x, proceed);
    if (from_another_site(x->req())) {
      if (matched.anonymous) return proceed(); // served as to anyone: without the session
      return refuse_cross_site(x);
    }
    auto ticket = tickets.open(*cookie, clock::now());
    if (!ticket) {
      remove_session_cookie(x);
      if (ticket.error() == ticket_problem::expired || matched.anonymous) return challenge_or_proceed(matched, x, proceed);
      log_warning("A session cookie could not be read (changed, or sealed with other keys); removed it",
                  {{"cid", x->req().correlation_id}, {"client", x->req().remote_address}});
      if (http::is_api_request(x->req())) return reply(x, api_challenge(x->req(), sign_in_request::to("/")));
      return reply(x, http::response::page(400, "Your sign-in could not be read",
                                           "The sign-in cookie this browser sent was changed or comes from another server. "
                                           "It has been removed; please sign in again.",
                                           sign_in_again, sign_in_link));
    }
    const auto& ids = **ticket; // shared with the callback, which keeps it alive
    // Most sessions are published by their actor and found in place, with no callback to build.
    if (auto user = sessions.find_published(ids.home_account_id, ids.session_id)) return admit_user(matched, x, proceed, ids, std::move(user));
    sessions.find(ids.home_account_id, ids.session_id,
                  [self = shared_from_this(), &matched, x, proceed = std::move(proceed), ticket = *ticket](session_service::found user) {
                    if (!user) return self->session_store_unavailable(x, user.error());
                    self->admit_user(matched, x, proceed, *ticket, std::move(*user));
                  });
  }

  // The session may be live; the browser keeps its cookie and is asked to come back.
  void session_store_unavailable(const http::exchange_ptr& x, const std::string& why) const {
    log_warning("A session could not be checked; answered 503 and kept the cookie", {{"cid", x->req().correlation_id}, {"error", why}});
    reply(x, session_check_unavailable());
  }

  // The session's user, or null when the session has ended: the page, a 403, or a sign-in.
  void admit_user(const http::route& matched, const http::exchange_ptr& x, const std::function<void()>& proceed, const session_ticket& ticket,
                  session_service::user_ptr user) const {
    if (!user) {
      remove_session_cookie(x);
      return challenge_or_proceed(matched, x, proceed);
    }
    x->user = std::move(user);
    renew_if_due(x, ticket);
    for (const auto& requirement : matched.required_claims) {
      if (requirement.satisfied_by(*x->user)) continue;
      return reply(x, http::response::page(403, "You do not have access to this page",
                                           "Your account lacks the " + requirement.type +
                                               " this page requires (one of: " + text::join(requirement.any_of, ", ") + ").",
                                           "Go to the home page", "/"));
    }
    proceed();
  }

  // Sliding expiry: a cookie past half its idle window is reissued with a fresh one.
  // Copies the ticket only when it renews it: every request of a signed-in user comes by.
  void renew_if_due(const http::exchange_ptr& x, const session_ticket& current) const {
    auto now = clock::now();
    if (current.expires - now > options.idle_timeout / 2) return;
    auto t = current;
    t.expires = now + options.idle_timeout;
    http::response carrier;
    set_session_cookie(carrier, x->req(), t);
    for (const auto& h : carrier.headers.all()) x->add_response_header(h.name, h.value);
  }

  // --- the callback ---

  void callback(const http::exchange_ptr& x) const {
    const auto& req = x->req();
    auto fields = text::form_fields::parse(req.method == "POST" ? std::string_view(req.body) : std::string_view(req.query));
    if (!fields) return reply(x, sign_in_failed("The answer from the sign-in service was malformed."));
    if (fields->find("error")) return authority_answered_error(x, *fields);
    auto state = fields->find("state");
    auto code = fields->find("code");
    if (!state || state->empty() || !code || code->empty())
      return reply(x, sign_in_failed("The answer from the sign-in service is incomplete (no code or state)."));
    auto pending = pending_sign_in_of(req, *state);
    if (!pending && pending.error().reason.empty()) {
      log_warning("A sign-in callback came without its correlation cookie", {{"cid", req.correlation_id}});
      return reply(x, sign_in_failed("This browser did not bring back its sign-in cookie: the sign-in was already completed, "
                                     "took too long, or cookies are blocked."));
    }
    if (!pending) {
      // The cookie stays: it may be a newer sign-in's, which took this one's slot.
      log_warning("A sign-in callback was refused", {{"cid", req.correlation_id}, {"reason", pending.error().reason}});
      return reply(x, sign_in_failed("The sign-in could not be verified: " + pending.error().reason + "."));
    }
    // RFC 9207: a code that another authority's answer carries (a mix-up) is never sent to this
    // sign-in's token endpoint. The metadata is in memory once anyone has signed in.
    std::optional<std::string> iss;
    if (auto named = fields->find("iss")) iss.emplace(*named);
    auto self = shared_from_this();
    authority_of(pending->correlation.user_flow)
        .get([self, x, pending = std::move(*pending), code = std::string(*code),
              iss = std::move(iss)](result<identity::authority_cache::snapshot_ptr, std::string> a) mutable {
          if (!a) return reply(x, authority_unavailable());
          if (auto problem = identity::authorization_response_issuer_problem((*a)->metadata, iss)) {
            log_warning("A sign-in callback was refused", {{"cid", x->req().correlation_id}, {"reason", *problem}});
            return reply(x, sign_in_failed("The sign-in could not be verified: the answer did not come from this site's sign-in service."));
          }
          self->redeem(x, std::move(pending.correlation), std::move(code), pending.cookie_name);
        });
  }

  // The authority sent an error instead of a code. Two of B2C's are a choice the user made on
  // its sign-in page, taken as MIW's B2C handlers take them: "Forgot your password?"
  // (AADB2C90118) goes on through the password-reset user flow, back to the page the sign-in was
  // for; "Cancel" (AADB2C90091) goes to the home page, since the page asked for may want a
  // sign-in again. The sign-in's cookie is spent either way. Both are logged at debug only:
  // anyone can send them.
  void authority_answered_error(const http::exchange_ptr& x, const text::form_fields& fields) const {
    const auto& req = x->req();
    auto description = fields.find("error_description").value_or("");
    auto b2c_choice = [&](std::string_view code) { return description.find(code) != std::string_view::npos; };
    auto landing = spend_correlation(x, fields.find("state").value_or(""));
    if (b2c_choice("AADB2C90118") && !options.reset_password_flow.empty()) {
      log_debug("The user asked to reset a forgotten password; on through the password-reset user flow", {{"cid", req.correlation_id}});
      return reply(x, http::response::redirect(account_path("ResetPassword") + "?redirectUri=" + text::percent_encode(landing)));
    }
    if (b2c_choice("AADB2C90091")) {
      log_debug("The user cancelled signing in", {{"cid", req.correlation_id}});
      return reply(x, http::response::redirect("/"));
    }
    log_warning("The authority did not sign the user in",
                {{"cid", req.correlation_id}, {"error", fields.find("error").value_or("")}, {"description", description}});
    reply(x, sign_in_failed("The sign-in was cancelled or refused."));
  }

  // The sign-in a callback's state belongs to, opened from the sealed cookie named after it.
  struct pending_sign_in {
    std::string cookie_name;
    identity::sign_in_correlation correlation;
  };
  // Why there is none: the browser brought no cookie for the state (no reason), or its cookie did not open.
  struct no_pending_sign_in {
    std::string reason;
  };

  result<pending_sign_in, no_pending_sign_in> pending_sign_in_of(const http::request& req, std::string_view state) const {
    auto name = cookie_name(req, identity::correlation_cookie_name(state), false);
    auto sealed = http::find_cookie(req.headers, name);
    if (!sealed) return failure{no_pending_sign_in{}};
    auto correlation = identity::open_correlation(options.cookie_keys, *sealed, state, clock::now(), options.correlation_lifetime);
    if (!correlation) return failure{no_pending_sign_in{correlation.error()}};
    return pending_sign_in{std::move(name), std::move(*correlation)};
  }

  // Where the sign-in with this state was to land ("/" when its cookie is missing or does not
  // open); the cookie is expired.
  std::string spend_correlation(const http::exchange_ptr& x, std::string_view state) const {
    if (state.empty()) return "/";
    auto pending = pending_sign_in_of(x->req(), state);
    if (!pending) return "/";
    x->add_response_header("Set-Cookie", http::expire_cookie(pending->cookie_name, correlation_cookie(x->req())));
    return pending->correlation.return_url;
  }

  void redeem(const http::exchange_ptr& x, identity::sign_in_correlation correlation, std::string code, const std::string& correlation_name) const {
    const auto& req = x->req();
    x->add_response_header("Set-Cookie", http::expire_cookie(correlation_name, correlation_cookie(req)));
    auto grant = identity::token_grant::authorization_code(std::move(code), redirect_uri(req), correlation.code_verifier,
                                                           identity::scopes_of_first_resource(correlation.scopes));
    auto self = shared_from_this();
    tokens.redeem_code(std::move(grant), correlation.user_flow, [self, x, correlation](result<identity::token_response, identity::token_failure> r) {
      if (!r) return self->redemption_failed(x, r.error());
      self->validate_and_sign_in(x, correlation, std::move(*r), true);
    });
  }

  void redemption_failed(const http::exchange_ptr& x, const identity::token_failure& f) const {
    log_warning("Could not redeem a sign-in code", {{"cid", x->req().correlation_id}, {"reason", f.message()}});
    if (f.kind == identity::failure_kind::network_error || f.kind == identity::failure_kind::service_error) return reply(x, authority_unavailable());
    if (f.kind == identity::failure_kind::configuration_error)
      return reply(x, http::response::page(500, "Sign-in is misconfigured",
                                           "This site's sign-in settings are wrong; its operators have been told in the log."));
    x->respond(sign_in_failed("The sign-in code was refused (it was already used, or it expired)."));
  }

  void validate_and_sign_in(const http::exchange_ptr& x, identity::sign_in_correlation correlation, identity::token_response tokens_in,
                            bool may_refetch_keys) const {
    auto self = shared_from_this();
    auto on_authority = [self, x, correlation, tokens_in, may_refetch_keys](result<identity::authority_cache::snapshot_ptr, std::string> a) mutable {
      if (!a) return reply(x, authority_unavailable());
      identity::id_token_rules rules;
      rules.issuer = (*a)->metadata.issuer;
      rules.audience = self->options.client_id;
      rules.nonce = correlation.nonce;
      auto claims = identity::validate_id_token(tokens_in.id_token, (*a)->keys, rules);
      if (!claims && claims.error().reason == identity::token_rejection::unknown_key && may_refetch_keys) {
        return self->authority_of(correlation.user_flow).refresh_for_unknown_key([self, x, correlation, tokens_in](auto) mutable {
          self->validate_and_sign_in(x, std::move(correlation), std::move(tokens_in), false);
        });
      }
      if (!claims) {
        log_warning("An id_token was refused",
                    {{"cid", x->req().correlation_id}, {"reason", identity::to_string(claims.error().reason)}, {"detail", claims.error().message}});
        return reply(x, sign_in_failed("The sign-in service's answer could not be verified."));
      }
      self->start_session(x, correlation, std::move(tokens_in), *claims);
    };
    authority_of(correlation.user_flow).get(on_authority);
  }

  bool admits_tenant_of(const identity::json_object& claims) const {
    if (options.allowed_tenants.empty()) return true;
    auto tid = claims.string("tid").value_or("");
    return std::any_of(options.allowed_tenants.begin(), options.allowed_tenants.end(), [&](const std::string& t) { return text::iequals(t, tid); });
  }

  void start_session(const http::exchange_ptr& x, const identity::sign_in_correlation& correlation, identity::token_response t,
                     const identity::json_object& claims) const {
    auto account = identity::home_account_id(claims);
    if (account.empty()) return reply(x, sign_in_failed("The sign-in service did not say who signed in."));
    if (!admits_tenant_of(claims)) {
      log_warning("A user of a tenant this app does not admit signed in; no session started (AzureAd:AllowedTenants lists the tenants admitted)",
                  {{"cid", x->req().correlation_id}, {"tenant", claims.string("tid").value_or("")}});
      return reply(x, http::response::page(403, "Your organization cannot use this site",
                                           "You signed in, but this site is open to the people of certain organizations only, and yours is "
                                           "not one of them. Ask this site's operators to admit it."));
    }
    http::principal user{account, identity::flatten_claims(claims)};
    if (!on_validated) return begin_session(x, correlation, std::move(t), std::move(user));
    // The app's hook may await; the sign-in goes on (or not) when it is done.
    auto decide = [](std::shared_ptr<const impl> self, http::exchange_ptr x, identity::sign_in_correlation correlation, identity::token_response t,
                     std::string account, validated_sign_in v) -> task<void> {
      co_await self->on_validated(v);
      if (v.refusal) {
        log_warning("The app refused a sign-in (on_token_validated)", {{"cid", x->req().correlation_id}, {"account", v.user.home_account_id}});
        co_return reply(x, http::response::page(403, "You cannot use this site", *v.refusal));
      }
      v.user.home_account_id = std::move(account); // the hook changes what the user holds, not who they are
      self->begin_session(x, correlation, std::move(t), std::move(v.user));
    };
    onbehalf::start(decide(shared_from_this(), x, correlation, std::move(t), account, validated_sign_in{std::move(user), x->req().correlation_id}),
                    [x](std::exception_ptr e) {
                      log_error("The app's on_token_validated hook failed; the sign-in did not complete",
                                {{"cid", x->req().correlation_id}, {"error", what_of(e)}});
                      reply(x, sign_in_failed("The sign-in could not be completed."));
                    });
  }

  void begin_session(const http::exchange_ptr& x, const identity::sign_in_correlation& correlation, identity::token_response t,
                     http::principal user) const {
    const auto account = user.home_account_id;
    tokens.accept_sign_in_tokens(account, identity::scopes_of_first_resource(correlation.scopes), std::move(t), correlation.user_flow);
    auto self = shared_from_this();
    if (observer) observer(user, correlation.items);
    sessions.start(std::move(user), [self, x, account, correlation](std::string session_id) {
      log_info("A user signed in", {{"cid", x->req().correlation_id}, {"account", account}});
      auto r = http::response::redirect(http::local_return_url(correlation.return_url).value_or("/"));
      self->set_session_cookie(r, x->req(), {account, std::move(session_id), clock::now() + self->options.idle_timeout});
      if (!correlation.challenge.empty())
        r.headers.add("Set-Cookie", http::set_cookie(self->cookie_name(x->req(), loop_guard_cookie), self->loop_guard_for(correlation.challenge),
                                                     self->loop_guard_attributes(x->req())));
      x->respond(std::move(r));
    });
  }

  // --- sign-out ---

  void sign_out(const http::exchange_ptr& x) const {
    const auto& req = x->req();
    if (from_another_site(req)) return refuse_cross_site(x);
    // A link from another site (an image, a redirect) must not end the user's session: the user
    // confirms on this site's page, whose form posts here from this origin.
    if (auto site = req.headers.find("Sec-Fetch-Site");
        req.method == "GET" && site && !text::iequals(*site, "same-origin") && !text::iequals(*site, "none"))
      return reply(x, http::response::confirmation_page(200, "Sign out?", "Do you want to sign out of this site?", "Sign out", req.path));
    auto self = shared_from_this();
    auto leave = [self, x] {
      self->remove_session_cookie(x);
      self->authority.get([self, x](result<identity::authority_cache::snapshot_ptr, std::string> a) {
        auto signed_out = self->origin(x->req()).base() + self->options.signed_out_callback_path;
        if (!a || (*a)->metadata.end_session_endpoint.empty()) return reply(x, http::response::redirect(self->options.signed_out_callback_path));
        const auto& end = (*a)->metadata.end_session_endpoint;
        text::form_fields q;
        q.add("post_logout_redirect_uri", signed_out).add("client_id", self->options.client_id);
        x->respond(http::response::redirect(end + (end.find('?') == std::string::npos ? "?" : "&") + q.encode()));
      });
    };
    auto cookie = http::read_chunked_cookie(x->req().headers, cookie_name(x->req(), options.cookie_name));
    auto ticket = cookie ? open_ticket(options.cookie_keys, *cookie, clock::now()) : failure{ticket_problem::unreadable};
    if (!ticket) return leave();
    // Only a live session ends the account's: a cookie of one that has ended (a replayed
    // sign-out, an old copy) changes nothing and costs the store nothing.
    sessions.find(ticket->home_account_id, ticket->session_id, [self, x, account = ticket->home_account_id, leave](session_service::found user) {
      // Leaving without ending a session that may be live would keep a copied cookie usable.
      if (!user) return self->session_store_unavailable(x, user.error());
      if (!*user) return leave();
      log_info("A user signed out", {{"cid", x->req().correlation_id}, {"account", account}});
      self->sessions.end(account, leave);
    });
  }

  void add_routes(http::router& routes) {
    auto self = shared_from_this();
    auto anonymous = [&routes](const std::string& method, const std::string& path, http::handler h) {
      routes.add(method, path, std::move(h)).anonymous = true;
    };
    auto callback = [self](const http::exchange_ptr& x) { self->callback(x); };
    anonymous("GET", options.callback_path, callback);
    anonymous("POST", options.callback_path, callback);
    auto sign_out = [self](const http::exchange_ptr& x) { self->sign_out(x); };
    for (const auto& path : {account_path("SignOut"), options.sign_out_path}) {
      if (path.empty()) continue;
      anonymous("GET", path, sign_out);
      anonymous("POST", path, sign_out);
    }
    anonymous("GET", account_path("SignIn"), [self](const http::exchange_ptr& x) {
      auto q = text::form_fields::parse(x->req().query).value_or(text::form_fields{});
      auto back = return_url_from(q);
      if (!back) return reply(x, back.error());
      self->challenge(x, sign_in_request::to(*back));
    });
    anonymous("GET", account_path("Challenge"), [self](const http::exchange_ptr& x) {
      auto q = text::form_fields::parse(x->req().query).value_or(text::form_fields{});
      auto back = return_url_from(q);
      if (!back) return reply(x, back.error());
      sign_in_request s;
      s.return_url = *back;
      for (auto scope : text::split(q.find("scope").value_or(""), ' '))
        if (identity::is_scope_token(scope)) s.scopes.emplace_back(scope);
      s.claims = std::string(q.find("claims").value_or(""));
      s.login_hint = std::string(q.find("loginHint").value_or(""));
      s.domain_hint = std::string(q.find("domainHint").value_or(""));
      s.prompt = std::string(q.find("prompt").value_or(""));
      s.user_flow = std::string(q.find("userFlow").value_or(""));
      if (!self->may_use_flow(s.user_flow, q.find("userFlowProof")))
        return reply(x, http::response::page(400, "That sign-in link is not valid", "It names a user flow this site does not use.", sign_in_again,
                                             sign_in_link));
      self->challenge(x, std::move(s));
    });
    // B2C, as MIW's account controller: the edit-profile and password-reset user flows.
    auto through_flow = [self](const std::string& flow) {
      return [self, flow](const http::exchange_ptr& x) {
        auto q = text::form_fields::parse(x->req().query).value_or(text::form_fields{});
        auto back = return_url_from(q);
        if (!back) return reply(x, back.error());
        auto s = sign_in_request::to(*back);
        s.user_flow = flow;
        if (x->user) s.login_hint = std::string(x->user->username());
        self->challenge(x, std::move(s));
      };
    };
    if (!options.edit_profile_flow.empty()) routes.get(account_path("EditProfile"), through_flow(options.edit_profile_flow));
    if (!options.reset_password_flow.empty()) anonymous("GET", account_path("ResetPassword"), through_flow(options.reset_password_flow));
    anonymous("GET", options.signed_out_callback_path,
              [](const http::exchange_ptr& x) { x->respond(http::response::redirect(account_path("SignedOut"))); });
    anonymous("GET", account_path("SignedOut"), [](const http::exchange_ptr& x) {
      x->respond(http::response::page(200, "Signed out", "You have signed out of this site.", "Sign in again", sign_in_link));
    });
  }
};

web_authentication::web_authentication(web_authentication_options options, identity::authority_cache& authority, token_service& tokens,
                                       session_service& sessions)
    : impl_(std::make_shared<impl>(std::move(options), authority, tokens, sessions)) {}

web_authentication::~web_authentication() = default;

void web_authentication::add_routes(http::router& routes) { impl_->add_routes(routes); }

void web_authentication::admit(const http::route& matched, const http::exchange_ptr& x, std::function<void()> proceed) const {
  impl_->admit(matched, x, std::move(proceed));
}

std::optional<std::string> web_authentication::session_id_of(const http::request& r) const {
  auto cookie = http::read_chunked_cookie(r.headers, impl_->cookie_name(r, impl_->options.cookie_name));
  auto ticket = cookie ? impl_->tickets.open(*cookie, clock::now()) : failure{ticket_problem::unreadable};
  if (!ticket) return std::nullopt;
  return (*ticket)->session_id;
}

void web_authentication::challenge(const http::exchange_ptr& x, sign_in_request request) const { impl_->challenge(x, std::move(request)); }

void web_authentication::challenge_user(const http::exchange_ptr& x, const actors::challenge& c, const http::consent_policy& policy) const {
  impl_->challenge_user(x, c, policy);
}

void web_authentication::observe_sign_ins(sign_in_observer observer) { impl_->observer = std::move(observer); }
void web_authentication::on_token_validated(token_validated_hook hook) { impl_->on_validated = std::move(hook); }

void web_authentication::live_challenge(const http::websocket_ptr& socket, const http::exchange_ptr& handshake, const actors::challenge& c,
                                        const http::consent_policy& policy, const std::string& page) const {
  impl_->live_challenge(socket, handshake, c, policy, page);
}

const web_authentication_options& web_authentication::options() const { return impl_->options; }

} // namespace onbehalf::actors
