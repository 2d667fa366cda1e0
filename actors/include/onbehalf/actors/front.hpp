// The front actors: every HTTP request reaches its handler inside one of them.
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

/// Sends each request, as a message, to one of a small pool of front actors, which routes it
/// and runs its handler. A pool rather than one actor, so the front never becomes the single
/// lane every request queues in. dispatch() only enqueues: the I/O thread never waits.
/// Sends the user where a challenge says (the web app's sign-in); runs inside a front actor.
using challenge_renderer = std::function<void(const http::exchange_ptr&, const challenge&, const http::consent_policy&)>;
/// Tells a live page's browser where a challenge sends the user; runs inside a front actor.
using live_challenge_renderer =
    std::function<void(const http::websocket_ptr&, const http::exchange_ptr& handshake, const challenge&, const http::consent_policy&, const std::string& page)>;

class front_dispatcher final : public http::dispatcher {
public:
  /// `admit` (the sign-in policy) runs between routing and each handler; null admits everything.
  /// `render` answers challenges that handlers raise; the front is the only place that does.
  front_dispatcher(caf::actor_system& system, const http::router& routes, http::admission admit, challenge_renderer render,
                   live_challenge_renderer render_live, unsigned actor_count);
  ~front_dispatcher() override; // asks its actors to exit
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
