#include "onbehalf/actors/authorization_header_provider.hpp"

#include "tokens/token_in_place.hpp"

#include "onbehalf/http/www_authenticate.hpp"

namespace onbehalf::actors {

signed_in_user::signed_in_user(const http::exchange_ptr& x)
    : correlation_id_(x->req().correlation_id), trace_(http::continue_trace(x->req().headers, x->req().correlation_id)),
      request_aborted_(x->request_aborted()) {
  if (!x->user) return;
  home_account_id_ = x->user->home_account_id;
  login_hint_ = std::string(x->user->username());
  if (!x->user->by_access_token) return;
  is_application_ = x->user->is_app;
  if (auto token = http::bearer_token_of(x->req()); token && !x->user->is_app) {
    caller_token_ = secret(std::string(*token));
    caller_token_digest_ = x->user->access_token_digest;
  }
}

signed_in_user::signed_in_user(const http::principal& user, std::string correlation_id)
    : home_account_id_(user.home_account_id), login_hint_(user.username()), correlation_id_(std::move(correlation_id)) {}

signed_in_user::signed_in_user(std::string home_account_id, std::string login_hint, std::string correlation_id)
    : home_account_id_(std::move(home_account_id)), login_hint_(std::move(login_hint)), correlation_id_(std::move(correlation_id)) {}

namespace {

call_result<access_token> to_call_result(token_service_outcome o, const std::vector<std::string>& scopes, const std::string& login_hint) {
  if (o) return access_token{std::move(o->access_token), o->expires_on};
  auto f = failure_of(o.error(), scopes);
  if (auto* c = f.as<challenge>()) c->login_hint = login_hint;
  return failure{std::move(f)};
}

} // namespace

task<call_result<access_token>> detail::acquire_user_token_in_place(token_service& tokens, const signed_in_user& user,
                                                                    const std::vector<std::string>& scopes, token_acquisition_options options) {
  if (user.is_application())
    co_return failure{call_failure(
        configuration_error{"", "this request's caller is an application, not a user, so there is no user to call the API for: call it as the app "
                                "(the *_for_app calls), or admit only users' tokens on this route (require_scope)"})};
  if (options.correlation_id.empty()) options.correlation_id = user.correlation_id();
  if (options.traceparent.empty() && !user.trace().empty()) options.traceparent = user.trace().traceparent();
  auto outcome = co_await when_called_back<token_service_outcome>([&](std::function<void(token_service_outcome)> done) {
    if (!user.caller_token().empty())
      return tokens.acquire_token_on_behalf_of(user.caller_token(), scopes, std::move(options), std::move(done), user.caller_token_digest());
    tokens.acquire_token_for_user_in_place(user.home_account_id(), scopes, std::move(options), std::move(done));
  });
  co_return to_call_result(std::move(outcome), scopes, user.login_hint());
}

task<call_result<access_token>> acquire_token_for_user(token_service& tokens, signed_in_user user, std::vector<std::string> scopes,
                                                       token_acquisition_options options) {
  co_return co_await detail::acquire_user_token_in_place(tokens, user, scopes, std::move(options));
}

task<call_result<access_token>> acquire_token_for_app(token_service& tokens, std::string scope, token_acquisition_options options) {
  auto outcome = co_await when_called_back<token_service_outcome>(
      [&](std::function<void(token_service_outcome)> done) { tokens.acquire_token_for_app(scope, std::move(options), std::move(done)); });
  co_return to_call_result(std::move(outcome), {scope}, {});
}

task<call_result<std::string>> authorization_header_provider::create_for_user(signed_in_user user, std::vector<std::string> scopes,
                                                                              token_acquisition_options options, std::string scheme) {
  auto token = co_await acquire_token_for_user(tokens_, std::move(user), std::move(scopes), std::move(options));
  if (!token) co_return failure{std::move(token.error())};
  co_return scheme + " " + token->token.reveal();
}

task<call_result<std::string>> authorization_header_provider::create_for_app(std::string scope, token_acquisition_options options,
                                                                             std::string scheme) {
  auto token = co_await acquire_token_for_app(tokens_, std::move(scope), std::move(options));
  if (!token) co_return failure{std::move(token.error())};
  co_return scheme + " " + token->token.reveal();
}

} // namespace onbehalf::actors
