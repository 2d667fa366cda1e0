// The front: routes each request to its handler, and answers the challenges handlers raise.
#pragma once

#include "onbehalf/actors/call_failure.hpp"
#include "onbehalf/http/router.hpp"
#include "onbehalf/http/server.hpp"

#include <functional>

#include <memory>

namespace caf {
class actor_system;
}

namespace onbehalf::actors {

/// Requests are routed and admitted on the I/O thread that read them, and their handlers start
/// there: a signed-in user's session and cached tokens are read in place, and a downstream call
/// made from that thread runs on it, so a request that needs nothing else is served without
/// changing threads (an actor answers only what needs one: a sign-in, a token to fetch, a
/// session to load). Handlers therefore must not block; coroutine handlers suspend instead.
/// Challenges travel as typed messages to a small pool of front actors, the one place that
/// sends users to the authority.
/// Sends the user where a challenge says (the web app's sign-in); runs inside a front actor.
using challenge_renderer = std::function<void(const http::exchange_ptr&, const challenge&, const http::consent_policy&)>;
/// Tells a live page's browser where a challenge sends the user; runs inside a front actor.
using live_challenge_renderer = std::function<void(const http::websocket_ptr&, const http::exchange_ptr& handshake, const challenge&,
                                                   const http::consent_policy&, const std::string& page)>;

class front_dispatcher final : public http::dispatcher {
public:
  /// `admit` (the sign-in policy) runs between routing and each handler; null admits everything.
  /// `render` answers challenges that handlers raise; the front is the only place that does.
  front_dispatcher(caf::actor_system& system, const http::router& routes, http::admission admit, challenge_renderer render,
                   live_challenge_renderer render_live, unsigned actor_count);
  ~front_dispatcher() override; // asks its actors to exit
  /// Routes, admits and starts the handler, on the calling (I/O) thread.
  void dispatch(http::exchange_ptr x) override;
  /// A challenge a handler raised, on its way up to a front actor as a typed message.
  void raise(http::exchange_ptr x, challenge c, http::consent_policy policy);
  /// The same for a live page: the front actor tells its browser where to go.
  void raise_live(http::websocket_ptr socket, http::exchange_ptr handshake, challenge c, http::consent_policy policy, std::string page);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::actors
