// The I/O half of identity/: an authority's documents and token requests over the pooled HTTP client.
#pragma once

#include "onbehalf/http/client.hpp"
#include "onbehalf/identity/authority_cache.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <chrono>
#include <functional>
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

} // namespace onbehalf::actors
