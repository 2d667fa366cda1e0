// Token acquisition for callers inside actors/ that await it at once. Private to actors/.
#pragma once

#include "onbehalf/actors/authorization_header_provider.hpp"

namespace onbehalf::actors::detail {

/// acquire_token_for_user for a caller that awaits the task at once, so that `user` and `scopes`
/// outlive it: a cached token is found without copying either (downstream_api::send, on every
/// call). The public form takes them by value, for callers that keep the task for later.
task<call_result<access_token>> acquire_user_token_in_place(token_service& tokens, const signed_in_user& user, const std::vector<std::string>& scopes,
                                                            token_acquisition_options options);

} // namespace onbehalf::actors::detail
