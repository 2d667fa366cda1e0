// An onbehalf application process: settings, the actor system, the front actors and the HTTP server.
#pragma once

#include "onbehalf/actors/live_page.hpp"
#include "onbehalf/actors/web_authentication.hpp"
#include "onbehalf/cache/durable_store.hpp"
#include "onbehalf/config/settings.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/http/router.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
  /// The host of appsettings.json at `path`, with appsettings.{ONBEHALF_ENVIRONMENT}.json and the
  /// environment variables layered on it (`onbehalf check-config` shows the result); the error
  /// lists every problem, one per line, each naming its key. Warnings go to the log.
  static result<host, std::string> from_file(const std::string& path);
  ~host();
  host(const host&) = delete;
  host& operator=(const host&) = delete;
  /// Before start() only: handlers added to routes() may refer to the host where it is then.
  host(host&&) noexcept;
  host& operator=(host&&) noexcept;

  /// The application's routes; add them before start(). /healthz and /metrics are built in.
  http::router& routes();
  const config::app_settings& settings() const;

  /// Boots the actor system, opens the caches and starts serving; the error says what to fix.
  result<std::uint16_t, std::string> start();
  /// The port of the metrics listener (Onbehalf:Metrics:Port) once started; 0 without one.
  std::uint16_t metrics_port() const;
  /// start(), then serve until SIGINT or SIGTERM, then stop gracefully: the whole of main() after
  /// the routes. Returns main()'s exit status: 0 after a stop signal, 1 (with the reason logged)
  /// when the host could not start.
  int run();
  /// Keeps tokens and sessions in your own store instead of the one Onbehalf:Cache:Backend names
  /// (see token_acquirer_factory::use_durable_store); before start().
  void use_durable_store(std::unique_ptr<cache::durable_store> store);
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
  /// Decides about each sign-in the authority vouched for, before its session starts (MIW's
  /// OnTokenValidated): add claims to the user, or refuse them with a 403 page. Before start().
  void on_token_validated(token_validated_hook hook);

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
