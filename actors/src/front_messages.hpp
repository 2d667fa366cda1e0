// Messages the front actors receive.
#pragma once

#include "onbehalf/http/exchange.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

namespace onbehalf::actors {

/// A parsed HTTP request waiting for its handler. It holds a live exchange (a way back to a
/// socket), so it only ever travels inside this process and is never serialized.
struct request_arrived {
  http::exchange_ptr exchange;
};

} // namespace onbehalf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(onbehalf::actors::request_arrived)
