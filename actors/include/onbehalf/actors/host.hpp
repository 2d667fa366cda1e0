// An onbehalf application process: settings, the actor system, the front actors and the HTTP server.
#pragma once

#include "onbehalf/actors/live_page.hpp"
#include "onbehalf/config/settings.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/http/router.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>
#include <functional>

namespace onbehalf::actors {

class token_service;
class session_service;
class web_authentication;
class downstream_api;
class authorization_header_provider;
class token_acquirer_factory;

/// Everything AddMicrosoftIdentityWebApp sets up: the HTTP server with the sign-in routes and
/// policy, the token and session actors, and the caches the configuration names.
class host {
public:
  explicit host(config::app_settings settings);
  ~host();
  host(const host&) = delete;
  host& operator=(const host&) = delete;

  /// The application's routes; add them before start(). /healthz and /metrics are built in.
  http::router& routes();
  const config::app_settings& settings() const;

  /// Boots the actor system, opens the caches and starts serving; the error says what to fix.
  result<std::uint16_t, std::string> start();
  /// The port of the metrics listener (Onbehalf:Metrics:Port) once started; 0 without one.
  std::uint16_t metrics_port() const;
  /// Graceful: in-flight requests finish, then the server stops. Safe from any thread.
  void stop();
  /// Blocks until stopped, then shuts the actor system down.
  void wait();

  /// The handler of a WebSocket route for a live page (see live_page.hpp): `page` is where the
  /// user comes back to after a challenge; `on_open` runs once connected, `on_message` for each
  /// message. Challenges follow the route's consent policy.
  http::handler live(std::string page, live_handler on_message, live_handler on_open = {});

  /// Told of every completed sign-in, with the items its challenge carried; set before start().
  void observe_sign_ins(std::function<void(const http::principal&, const std::vector<std::pair<std::string, std::string>>&)> observer);

  // The services handlers use; valid between start() and wait() (downstream_apis() and
  // authorization_headers() from construction, so handlers may keep them).
  token_service& tokens();
  session_service& sessions();
  web_authentication& authentication();
  downstream_api& downstream_apis();
  authorization_header_provider& authorization_headers();
  /// Everything that acquires tokens, shared with programs that host no front.
  token_acquirer_factory& services();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::actors
