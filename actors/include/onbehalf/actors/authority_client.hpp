// The I/O half of identity/: an authority's documents and token requests over the pooled HTTP client.
#pragma once

#include "onbehalf/http/client.hpp"
#include "onbehalf/identity/authority_cache.hpp"
#include "onbehalf/identity/managed_identity.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace onbehalf::actors {

/// A fetcher for identity::authority_cache: GET, and anything but 200 is an error naming the status and URL.
identity::fetch_function fetch_over(http::client& web);

using token_outcome = result<identity::token_response, identity::token_failure>;

/// POSTs a token request and interprets the answer. An unreachable authority is a network error;
/// one that does not answer in time (the client's response timeout, or `timeout`) is a service
/// error, like a 5xx.
void send_token_request(http::client& web, const identity::token_http_request& request, std::function<void(token_outcome)> done,
                        std::optional<std::chrono::milliseconds> timeout = std::nullopt);

struct managed_identity_token {
  std::string resource;     // an App ID URI, or a scope ending in /.default
  std::string client_id;    // a user-assigned identity; empty: the system-assigned one
  std::string identity_key; // the setting that chose the identity, named when the endpoint does not know it
};

/// Asks the managed-identity endpoint for an app token, interpreted as send_token_request does.
void send_managed_identity_request(http::client& web, const identity::managed_identity_endpoint& endpoint, const managed_identity_token& wanted,
                                   std::function<void(token_outcome)> done, std::optional<std::chrono::milliseconds> timeout = std::nullopt);

/// A managed identity's token as the app's client assertion (SourceType
/// SignedAssertionFromManagedIdentity: the app registration trusts the identity as a federated
/// credential). The token, for `wanted.resource` (api://AzureADTokenExchange), is kept until five
/// minutes before it expires; callers that ask meanwhile share one request.
std::shared_ptr<identity::assertion_source> assertion_from_managed_identity(http::client& web, identity::managed_identity_endpoint endpoint,
                                                                            managed_identity_token wanted);

} // namespace onbehalf::actors
