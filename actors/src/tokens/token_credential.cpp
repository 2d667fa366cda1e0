#include "onbehalf/actors/token_credential.hpp"

#include "onbehalf/core/text.hpp"

namespace onbehalf::actors {

namespace {

task<call_result<access_token>> refused(std::vector<std::string> scopes) {
  co_return failure{call_failure(configuration_error{"scopes", "an app's token is asked for with exactly one scope (with Entra ID: the resource's "
                                                               ".default scope, like https://storage.azure.com/.default), not '" +
                                                                   text::join(scopes, " ") + "'"})};
}

} // namespace

token_credential token_credential::for_app(token_service& tokens, token_acquisition_options options) {
  return token_credential(tokens, std::nullopt, std::move(options));
}

token_credential token_credential::for_user(token_service& tokens, signed_in_user user, token_acquisition_options options) {
  return token_credential(tokens, std::move(user), std::move(options));
}

task<call_result<access_token>> token_credential::get_token(std::vector<std::string> scopes) const {
  if (user_) return acquire_token_for_user(*tokens_, *user_, std::move(scopes), options_);
  if (scopes.size() != 1) return refused(std::move(scopes));
  return acquire_token_for_app(*tokens_, std::move(scopes.front()), options_);
}

} // namespace onbehalf::actors
