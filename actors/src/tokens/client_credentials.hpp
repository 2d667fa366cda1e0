// AzureAd:ClientCredentials made usable: each configured credential as the client
// authentication the token requests send. Private to actors/.
#pragma once

#include "onbehalf/config/settings.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/identity/managed_identity.hpp"
#include "onbehalf/identity/token_request.hpp"

#include <string>
#include <vector>

namespace onbehalf::actors::detail {

identity::managed_identity_endpoint managed_identity_endpoint_of(const config::managed_identity_options& o);

/// Credential `index` of AzureAd:ClientCredentials, ready to use; an error when it cannot be
/// loaded (a certificate or token file that cannot be read). `web` must outlive the result.
result<identity::client_authentication, std::string> credential_of(const config::app_settings& settings, std::size_t index, http::client& web);

/// The credentials that load, in order; the others logged and passed over. No credential at all
/// is a sign-in-only app (one entry without a secret: PKCE code redemption).
result<std::vector<identity::client_authentication>, std::string> client_chain_from(const config::app_settings& settings, http::client& web);

/// A credential in words, for check-config: "certificate file /etc/app.pem, read again when it changes".
std::string describe(const config::client_credential& c, const config::managed_identity_options& where);

} // namespace onbehalf::actors::detail
