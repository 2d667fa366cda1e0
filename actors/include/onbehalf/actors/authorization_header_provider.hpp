// Tokens for requests an application builds itself (MIW's IAuthorizationHeaderProvider), and
// whose behalf a call is made on. Backed by the token actors: a cached token costs an L1 lookup.
#pragma once

#include "onbehalf/http/trace_context.hpp"

#include "onbehalf/actors/call_failure.hpp"
#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/core/task.hpp"
#include "onbehalf/http/exchange.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace onbehalf::actors {

/// On whose behalf a call is made. A handler passes its exchange (its signed-in user and its
/// correlation id); a program without the front passes the account's home account id. In a web
/// API's handler the user is the caller, and tokens come by on-behalf-of from the caller's token.
class signed_in_user {
public:
  signed_in_user(const http::exchange_ptr& x);
  signed_in_user(const http::principal& user, std::string correlation_id = {});
  explicit signed_in_user(std::string home_account_id, std::string login_hint = {}, std::string correlation_id = {});

  const std::string& home_account_id() const noexcept { return home_account_id_; }
  const std::string& login_hint() const noexcept { return login_hint_; }
  const std::string& correlation_id() const noexcept { return correlation_id_; }
  /// A web API caller's access token, exchanged on its behalf; empty for a web app's user.
  const secret& caller_token() const noexcept { return caller_token_; }
  /// Its SHA-256 (base64url), as the web API's admission computed it.
  const std::string& caller_token_digest() const noexcept { return caller_token_digest_; }
  /// A web API's caller that is an application: there is no user to act for.
  bool is_application() const noexcept { return is_application_; }
  /// The distributed trace the calls made for this user belong to (W3C traceparent, sent to the
  /// authority and to downstream APIs): the request's, or, outside a request, a new one per call
  /// unless set — as work started by a queued message continues the message's trace.
  const http::trace_context& trace() const noexcept { return trace_; }
  void set_trace(http::trace_context trace) { trace_ = std::move(trace); }
  /// Cancelled when the client of the request this user came from goes away: downstream calls
  /// made for the user then stop. Null outside a request.
  const cancellation_ptr& request_aborted() const noexcept { return request_aborted_; }

private:
  std::string home_account_id_; // empty: nobody is signed in, and any user token needs a sign-in
  std::string login_hint_;
  std::string correlation_id_;
  secret caller_token_;
  std::string caller_token_digest_;
  bool is_application_ = false;
  http::trace_context trace_;
  cancellation_ptr request_aborted_;
};

struct access_token {
  secret token;
  std::chrono::system_clock::time_point expires_on;
};

/// Awaitable forms of the token actors' requests, with failures as call_failure (a consent or
/// sign-in need becomes a challenge naming the scopes and the user).
task<call_result<access_token>> acquire_token_for_user(token_service& tokens, signed_in_user user, std::vector<std::string> scopes,
                                                       token_acquisition_options options);
task<call_result<access_token>> acquire_token_for_app(token_service& tokens, std::string scope, token_acquisition_options options);

// Overloads, not default arguments: g++ 12 destroys a default argument of a coroutine twice when
// the call is itself inside a coroutine (`co_await acquire_token_for_user(t, user, scopes)`).
inline task<call_result<access_token>> acquire_token_for_user(token_service& tokens, signed_in_user user, std::vector<std::string> scopes) {
  return acquire_token_for_user(tokens, std::move(user), std::move(scopes), token_acquisition_options{});
}
inline task<call_result<access_token>> acquire_token_for_app(token_service& tokens, std::string scope) {
  return acquire_token_for_app(tokens, std::move(scope), token_acquisition_options{});
}

class authorization_header_provider {
public:
  explicit authorization_header_provider(token_service& tokens) : tokens_(tokens) {}

  /// "Bearer eyJ…" for the signed-in user and `scopes`; `scheme` replaces "Bearer" (ProtocolScheme).
  task<call_result<std::string>> create_for_user(signed_in_user user, std::vector<std::string> scopes, token_acquisition_options options = {},
                                                 std::string scheme = "Bearer");
  /// "Bearer eyJ…" for the app itself; `scope` is "{resource}/.default".
  task<call_result<std::string>> create_for_app(std::string scope, token_acquisition_options options = {}, std::string scheme = "Bearer");

private:
  token_service& tokens_;
};

} // namespace onbehalf::actors
