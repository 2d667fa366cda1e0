// Maps method + path to a handler. Patterns have literal segments, {name} parameters and an
// optional final {*rest} that takes the remainder of the path.
#pragma once

#include "onbehalf/core/task.hpp"
#include "onbehalf/http/exchange.hpp"
#include "onbehalf/http/principal.hpp"

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace onbehalf::http {

using handler = std::function<void(const exchange_ptr&)>;

namespace detail {
// The parameter type of a lambda or function object with one non-template call operator.
template <class T>
struct call_parameter {};
template <class C, class R, class A>
struct call_parameter<R (C::*)(A) const> {
  using type = A;
};
template <class C, class R, class A>
struct call_parameter<R (C::*)(A)> {
  using type = A;
};
template <class F>
concept has_plain_call_operator = requires {
  &F::operator();
};

template <class F>
constexpr bool takes_exchange_by_reference() {
  if constexpr (has_plain_call_operator<F>) {
    return std::is_reference_v<typename call_parameter<decltype(&F::operator())>::type>;
  } else {
    return false;
  }
}
} // namespace detail

/// A handler written as a coroutine: `[](http::exchange_ptr x) -> task<void> { ... co_await ...; }`.
template <class F>
concept coroutine_handler = std::is_invocable_r_v<task<void>, F&, exchange_ptr>;

/// What a route does when its handler lets a challenge escape (MIW's [AuthorizeForScopes]): the
/// user is sent to the authority for these scopes — given here, or read from the configuration
/// key `scope_key_section` ("DownstreamApis:TodoList:Scopes:0"; a key naming a list takes it
/// all) — through `user_flow` (B2C), and comes back to the page. A route without a policy
/// answers such a challenge with an error page and a log line saying to add one.
struct consent_policy {
  std::vector<std::string> scopes{};
  std::string scope_key_section{};
  std::string user_flow{};
  /// Where a POST (PUT, DELETE…) that needed consent lands afterwards: a browser cannot repeat
  /// it after the round trip, so the user comes back to this page; default "/".
  std::string return_path_after_post{};
};

/// A web API route's caller presents `Authorization: Bearer <access token>` issued for this app
/// (MIW's AddMicrosoftIdentityWebApi); what its token must carry (MIW's [RequiredScope],
/// [RequiredScopeOrAppPermission]): a delegated token one of `scopes`, an app's token one of
/// `app_permissions` (app roles). A requirement with neither admits any token issued for this
/// API that carries scopes or roles. Scopes and permissions may also be read from configuration
/// keys (a key naming a list takes it all), as "AzureAd:Scopes" in MIW's samples.
struct token_requirement {
  std::vector<std::string> scopes{};
  std::vector<std::string> app_permissions{};
  std::string scopes_key{};
  std::string app_permissions_key{};
};

struct route {
  std::string method;
  std::string pattern;
  handler handle;
  bool anonymous = false;                         // reachable without a signed-in user
  std::vector<claim_requirement> required_claims; // all must hold, or the user gets 403
  std::optional<consent_policy> consent;          // see consent_policy
  /// Set: a web API route, for bearer tokens only (cookies are not read); see token_requirement.
  std::optional<token_requirement> bearer;

  /// The user must have claim `type` with one of `any_of` (e.g. roles: Admin).
  route& require_claim(std::string type, std::vector<std::string> any_of) {
    required_claims.push_back({std::move(type), std::move(any_of)});
    return *this;
  }
  /// Challenges from this route's handler send the user to consent (replacing a group's policy).
  route& authorize_for_scopes(consent_policy p) {
    consent = std::move(p);
    return *this;
  }
  /// A web API route: callers present bearer tokens meeting `r` (replacing a group's).
  route& accepts_bearer_tokens(token_requirement r = {}) {
    bearer = std::move(r);
    return *this;
  }
  /// A web API route for delegated tokens with one of `any_of` in their scopes.
  route& require_scope(std::vector<std::string> any_of) { return accepts_bearer_tokens({.scopes = std::move(any_of)}); }
  /// A web API route for applications' tokens with one of `any_of` in their app roles.
  route& require_app_permission(std::vector<std::string> any_of) { return accepts_bearer_tokens({.app_permissions = std::move(any_of)}); }
  /// A web API route for either: a user's token with one of `scopes`, or an app's with one of `app_permissions`.
  route& require_scope_or_app_permission(std::vector<std::string> scopes, std::vector<std::string> app_permissions) {
    return accepts_bearer_tokens({.scopes = std::move(scopes), .app_permissions = std::move(app_permissions)});
  }

  struct segment {
    std::string text;
    enum class kind { literal, parameter, rest } type = kind::literal;
  };
  std::vector<segment> segments;
};

class router {
public:
  router() = default;
  // Coroutine handlers refer back to their router: it stays where it was made.
  router(const router&) = delete;
  router& operator=(const router&) = delete;

  /// Adds a route. A malformed pattern is a programming error: std::invalid_argument.
  route& add(std::string method, std::string pattern, handler h);
  /// Adds a route whose handler is a coroutine. It takes the exchange by value: a reference
  /// would dangle after its first co_await. An exception it lets escape goes to on_exception.
  template <coroutine_handler F>
  route& add(std::string method, std::string pattern, F f) {
    static_assert(!detail::takes_exchange_by_reference<F>(),
                  "a coroutine handler takes the exchange by value (http::exchange_ptr x): a reference would dangle after its first co_await");
    return add(std::move(method), std::move(pattern), handler([this, f = std::move(f)](const exchange_ptr& x) {
                 onbehalf::start(f(x), [this, x](std::exception_ptr e) { handle_exception(routes_[x->route_id], x, e); });
               }));
  }
  template <class F>
  route& get(std::string pattern, F&& h) {
    return add("GET", std::move(pattern), std::forward<F>(h));
  }
  template <class F>
  route& post(std::string pattern, F&& h) {
    return add("POST", std::move(pattern), std::forward<F>(h));
  }
  template <class F>
  route& put(std::string pattern, F&& h) {
    return add("PUT", std::move(pattern), std::forward<F>(h));
  }
  template <class F>
  route& patch(std::string pattern, F&& h) {
    return add("PATCH", std::move(pattern), std::forward<F>(h));
  }
  template <class F>
  route& del(std::string pattern, F&& h) {
    return add("DELETE", std::move(pattern), std::forward<F>(h));
  }

  /// Where an exception a handler lets escape goes first (the host turns a challenge into a
  /// sign-in this way); returns true when it answered. Otherwise the client gets a 500 and the
  /// log says which route failed.
  std::function<bool(const route&, const exchange_ptr&, std::exception_ptr)> on_exception;
  void handle_exception(const route& matched, const exchange_ptr& x, std::exception_ptr e) const;

  struct match {
    enum class outcome { found, not_found, method_not_allowed } result = outcome::not_found;
    std::size_t route_id = 0; // index into routes(), or unmatched_id()
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow; // methods the path accepts, for 405's Allow header
  };

  /// HEAD requests match GET routes.
  match find(std::string_view method, std::string_view path) const;

  const std::vector<route>& routes() const noexcept { return routes_; }
  /// For changing routes already added, e.g. marking a group of them anonymous.
  std::vector<route>& routes() noexcept { return routes_; }
  std::size_t unmatched_id() const noexcept { return routes_.size(); }

private:
  std::vector<route> routes_;
};

/// Routes that share settings, as the actions of one controller share the controller's
/// attributes: each route added through the group starts with the group's anonymity, claim
/// requirements and consent policy, and may change them, as an action's own attribute does.
class route_group {
public:
  explicit route_group(router& r, std::string prefix = {}) : router_(r), prefix_(std::move(prefix)) {}

  route_group& authorize_for_scopes(consent_policy p) {
    consent_ = std::move(p);
    return *this;
  }
  route_group& require_claim(std::string type, std::vector<std::string> any_of) {
    required_claims_.push_back({std::move(type), std::move(any_of)});
    return *this;
  }
  route_group& anonymous(bool yes = true) {
    anonymous_ = yes;
    return *this;
  }
  /// Every route of the group is a web API route (see route::accepts_bearer_tokens).
  route_group& accepts_bearer_tokens(token_requirement r = {}) {
    bearer_ = std::move(r);
    return *this;
  }

  template <class F>
  route& add(std::string method, const std::string& pattern, F&& h) {
    auto& r = router_.add(std::move(method), prefix_ + pattern, std::forward<F>(h));
    r.anonymous = anonymous_;
    r.required_claims = required_claims_;
    r.consent = consent_;
    r.bearer = bearer_;
    return r;
  }
  template <class F>
  route& get(const std::string& pattern, F&& h) {
    return add("GET", pattern, std::forward<F>(h));
  }
  template <class F>
  route& post(const std::string& pattern, F&& h) {
    return add("POST", pattern, std::forward<F>(h));
  }
  template <class F>
  route& put(const std::string& pattern, F&& h) {
    return add("PUT", pattern, std::forward<F>(h));
  }
  template <class F>
  route& patch(const std::string& pattern, F&& h) {
    return add("PATCH", pattern, std::forward<F>(h));
  }
  template <class F>
  route& del(const std::string& pattern, F&& h) {
    return add("DELETE", pattern, std::forward<F>(h));
  }

private:
  router& router_;
  std::string prefix_;
  bool anonymous_ = false;
  std::vector<claim_requirement> required_claims_;
  std::optional<consent_policy> consent_;
  std::optional<token_requirement> bearer_;
};

/// Routes an exchange and runs its handler, or answers 404/405 itself. Every dispatcher uses this.
void route_and_handle(const router& r, const exchange_ptr& x);

/// A step before the handler (the sign-in policy): it may answer the exchange itself, or call
/// `proceed` — from any thread, at most once — to run the route's handler.
using admission = std::function<void(const route& matched, const exchange_ptr& x, std::function<void()> proceed)>;

/// route_and_handle with an admission step between matching and the handler.
void route_and_handle(const router& r, const exchange_ptr& x, const admission& admit);

} // namespace onbehalf::http
