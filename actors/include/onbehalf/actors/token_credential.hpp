// A token credential for Azure-style SDKs (MIW's MicrosoftIdentityTokenCredential): get_token
// for scopes, answered by the token actors, for the signed-in user or for the app.
#pragma once

#include "onbehalf/actors/authorization_header_provider.hpp"

#include <optional>
#include <string>
#include <vector>

namespace onbehalf::actors {

class token_credential {
public:
  /// Tokens for the app itself: get_token takes one scope ("{resource}/.default" with Entra ID).
  static token_credential for_app(token_service& tokens, token_acquisition_options options = {});
  /// Tokens for a signed-in user.
  static token_credential for_user(token_service& tokens, signed_in_user user, token_acquisition_options options = {});

  /// {token, expires_on}, as Azure SDKs' TokenCredential.GetToken answers.
  task<call_result<access_token>> get_token(std::vector<std::string> scopes) const;

private:
  token_credential(token_service& tokens, std::optional<signed_in_user> user, token_acquisition_options options)
      : tokens_(&tokens), user_(std::move(user)), options_(std::move(options)) {}
  token_service* tokens_;
  std::optional<signed_in_user> user_;
  token_acquisition_options options_;
};

} // namespace onbehalf::actors
