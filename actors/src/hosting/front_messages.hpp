// Messages the front actors receive. They hold live exchanges and sockets (ways back to a
// browser), so they only ever travel inside this process and are never serialized.
#pragma once

#include "onbehalf/actors/call_failure.hpp"
#include "onbehalf/http/exchange.hpp"
#include "onbehalf/http/router.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

namespace onbehalf::actors {

/// A challenge a handler raised (consent, MFA, a claims challenge), with the route's consent
/// policy: the front actor sends the user to the authority, or tells a script where to.
struct challenge_raised {
  http::exchange_ptr exchange;
  challenge what;
  http::consent_policy policy;
};

/// A challenge a live page's handler raised: the front actor tells the browser where to go.
struct live_challenge_raised {
  http::websocket_ptr socket;
  http::exchange_ptr handshake;
  challenge what;
  http::consent_policy policy;
  std::string page;
};

} // namespace onbehalf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::live_challenge_raised)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::challenge_raised)
