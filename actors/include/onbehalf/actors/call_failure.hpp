// Why a token or a downstream call could not be had, as data: one type for everything the
// user-facing calls (downstream APIs, authorization headers, token credentials) can answer
// instead of a value. A challenge — the user must visit the authority — travels this way to the
// front actor, which sends the user there; the rest become pages or handler decisions.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/http/message.hpp"
#include "onbehalf/identity/token_response.hpp"
#include "onbehalf/json/mapping.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace onbehalf::actors {

/// The user must visit the authority before this can succeed: consent to more scopes, a second
/// factor, a claims challenge (conditional access, or an API's continuous access evaluation),
/// or signing in again. What MIW throws as MicrosoftIdentityWebChallengeUserException.
struct challenge {
  std::vector<std::string> scopes; // to ask for (besides openid, profile, offline_access)
  std::string claims;              // a claims request (JSON) for the authorize request, when one was raised
  identity::interaction_reason reason = identity::interaction_reason::consent_required;
  std::string user_flow;  // B2C: the user flow to send the user through
  std::string login_hint; // who should sign in, when known
  std::string domain_hint;
  std::string detail; // what the authority or API said, for the log only
};

/// The authority could not give a token now: down, failing, or throttling (then retry_after).
struct service_error {
  std::string detail;
  std::optional<std::chrono::seconds> retry_after;
};

/// The app's configuration is wrong; `key` names the setting to fix.
struct configuration_error {
  std::string key;
  std::string detail;
};

/// The downstream API answered with a status that is neither success nor a challenge.
struct downstream_error {
  std::string api;
  unsigned status = 0;
  std::string body; // at most max_error_body bytes of it
  http::header_list headers;
  static constexpr std::size_t max_error_body = 64 * 1024;
};

/// The downstream API could not be reached or did not answer: refused, reset, timed out, TLS.
struct downstream_unreachable {
  std::string api;
  http::client_error cause = http::client_error::connect_failed;
  std::string detail;
};

/// The API succeeded, but its body does not fit the type the caller asked for.
struct unexpected_body {
  std::string api;
  json::mapping_error error;
};

class call_failure {
public:
  using variant = std::variant<challenge, service_error, configuration_error, downstream_error, downstream_unreachable, unexpected_body>;

  template <class T>
  requires std::is_constructible_v<variant, T&&> call_failure(T&& what) : what_(std::forward<T>(what)) {}

  template <class T>
  bool is() const noexcept {
    return std::holds_alternative<T>(what_);
  }
  template <class T>
  const T* as() const noexcept {
    return std::get_if<T>(&what_);
  }
  template <class T>
  T* as() noexcept {
    return std::get_if<T>(&what_);
  }
  const variant& what() const noexcept { return what_; }

  /// Plain words for the log: what failed and what to do. Never shown to users (it may hold
  /// the authority's or API's own words).
  std::string message() const;
  /// The status a page should answer with when the handler does not decide otherwise:
  /// 503 when the authority or API is unavailable, 502 when an API answered wrongly, 500 for
  /// configuration errors, 401 for a challenge nobody handled.
  unsigned suggested_status() const noexcept;

private:
  variant what_;
};

template <class T>
using call_result = result<T, call_failure>;

/// A call_failure thrown at the user-facing edge, for handlers that read like the spec's
/// controllers: a route's consent policy (authorize_for_scopes) turns a challenge into a trip to
/// the authority and back; the host turns the rest into pages (503, 502, 500) that show nothing
/// of the authority's or API's words. Re-throwing a challenge a handler caught hands it back to
/// the route's consent policy.
class call_exception : public std::runtime_error {
public:
  explicit call_exception(call_failure f);
  const call_failure& failure() const noexcept { return failure_; }

private:
  call_failure failure_;
};

/// The value, or throws call_exception.
template <class T>
T or_throw(call_result<T> r) {
  if (!r) throw call_exception(std::move(r.error()));
  if constexpr (!std::is_void_v<T>) return std::move(r).value();
}

/// What a token failure means for the caller; `scopes` are the ones asked for, which a consent
/// challenge asks the user for.
call_failure failure_of(const identity::token_failure& f, const std::vector<std::string>& scopes);

void log_fallback(std::string_view what, const call_failure& f);

/// What a person (an HTML page) or a script (JSON, for API and XHR requests) is shown for a
/// failure nobody handled: plain words and the status call_failure suggests — a 503 says when
/// to try again — and nothing of what the authority or API said, which goes to the log only.
http::response failure_page(const call_failure& f, const http::request& r);
/// What a web API answers its caller when a token for a downstream API needs the user (MIW's
/// ReplyForbiddenWithWwwAuthenticateHeader), in the form client libraries act on: a claims
/// challenge is 401 `Bearer error="insufficient_claims", claims="<base64>"`, a sign-in that is no
/// longer good is 401 `error="invalid_token"`, missing consent is 403 `error="insufficient_scope"`
/// naming the scopes, with proposedAction="consent".
http::response challenge_for_caller(const challenge& c);
/// The plain words of failure_page, for other channels (a live page's socket).
std::string_view user_message(const call_failure& f);

/// A handler's "use a default when this optional data is unavailable" (the spec's Dashboard):
/// the value, or `fallback` with a warning in the log naming what was unavailable and why.
template <class T>
T value_or(call_result<T> r, T fallback, std::string_view what) {
  if (r) return std::move(r).value();
  log_fallback(what, r.error());
  return fallback;
}

} // namespace onbehalf::actors
