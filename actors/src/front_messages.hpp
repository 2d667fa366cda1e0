// Messages the front actors receive.
#pragma once

#include "onbehalf/actors/call_failure.hpp"
#include "onbehalf/http/exchange.hpp"
#include "onbehalf/http/router.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

namespace onbehalf::actors {

/// A parsed HTTP request waiting for its handler. It holds a live exchange (a way back to a
/// socket), so it only ever travels inside this process and is never serialized.
struct request_arrived {
  http::exchange_ptr exchange;
};

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

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::request_arrived)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::live_challenge_raised)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::challenge_raised)
