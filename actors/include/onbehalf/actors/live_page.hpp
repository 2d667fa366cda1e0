// Server-driven pages over a WebSocket (what the spec does with Blazor Server and MIW's
// MicrosoftIdentityConsentAndConditionalAccessHandler). The browser's messages run a coroutine
// handler; a challenge such a handler lets escape travels to a front actor as a typed message,
// which tells the browser where to go — {"type":"navigate","url":"/MicrosoftIdentity/Account/Challenge?…"}
// — and once the user has consented and is back on the page, it connects again and goes on.
// Other failures reach the browser as {"type":"error","message":…} in plain words.
#pragma once

#include "onbehalf/core/task.hpp"
#include "onbehalf/http/exchange.hpp"
#include "onbehalf/http/websocket.hpp"

#include <functional>
#include <memory>
#include <string>

namespace onbehalf::actors {

/// One browser's live connection: the handshake request (its user, for calls on their behalf)
/// and the socket.
struct live_connection {
  http::exchange_ptr handshake;
  http::websocket_ptr socket;
  void send(std::string text) const { socket->send(std::move(text)); }
};

using live_connection_ptr = std::shared_ptr<live_connection>;
/// Runs for each message (and once on connecting, with an empty message, when given as on_open).
using live_handler = std::function<task<void>(live_connection_ptr connection, std::string message)>;

} // namespace onbehalf::actors
