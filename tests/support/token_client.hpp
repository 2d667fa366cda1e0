// Sends a token request built by identity/ over the HTTP client and reads the typed outcome.
#pragma once

#include "sync_client.hpp"

#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

namespace onbehalf::testing {

inline result<identity::token_response, identity::token_failure> redeem(http::client& web, const identity::token_http_request& request) {
  http::client_request r{"POST", request.url, {}, request.body, {}};
  for (const auto& [name, value] : request.headers) r.headers.set(name, value);
  auto reply = send_and_wait(web, r);
  if (!reply) return failure{identity::network_failure(reply.error().message)};
  return identity::read_token_response(reply->status, reply->body, reply->headers.find("Retry-After").value_or(""));
}

} // namespace onbehalf::testing
