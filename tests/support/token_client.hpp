// Sends a token request built by identity/ and waits for the typed outcome, for step-by-step tests.
#pragma once

#include "sync_client.hpp"

#include "onbehalf/actors/authority_client.hpp"

namespace onbehalf::testing {

inline actors::token_outcome redeem(http::client& web, const identity::token_http_request& request) {
  std::promise<actors::token_outcome> done;
  auto future = done.get_future();
  actors::send_token_request(web, request, [&done](actors::token_outcome outcome) { done.set_value(std::move(outcome)); });
  REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return future.get();
}

} // namespace onbehalf::testing
