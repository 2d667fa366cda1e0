// Tokens from Azure's managed-identity endpoint, as the protocol goes (no I/O here): the instance
// metadata service (IMDS) of virtual machines and Kubernetes nodes, or the local endpoint that App
// Service and Functions announce in IDENTITY_ENDPOINT. An app-only token for one resource, for the
// system-assigned identity or a user-assigned one.
#pragma once

#include "onbehalf/core/secret.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace onbehalf::identity {

struct managed_identity_endpoint {
  std::string imds = "http://169.254.169.254"; // the metadata service's base address
  std::string identity_endpoint;               // App Service's; when set, used instead of IMDS
  secret identity_header;                      // sent to identity_endpoint as X-IDENTITY-HEADER
};

/// The request for a token to `resource` (an App ID URI or app id; a scope's "/.default" is
/// removed) for the user-assigned identity `client_id`, or the system-assigned one when empty.
token_http_request managed_identity_request(const managed_identity_endpoint& endpoint, std::string_view resource, std::string_view client_id);

/// The endpoint's answer: expires_on (seconds since the epoch, as both shapes send it) or
/// expires_in gives the lifetime. An identity the endpoint does not know is a configuration error
/// naming `identity_key`, the setting that chose it.
result<token_response, token_failure> read_managed_identity_response(unsigned http_status, std::string_view body, std::string_view retry_after,
                                                                     std::chrono::system_clock::time_point now, std::string_view identity_key);

} // namespace onbehalf::identity
