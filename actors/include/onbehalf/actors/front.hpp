// The front actors: every HTTP request reaches its handler inside one of them.
#pragma once

#include "onbehalf/http/router.hpp"
#include "onbehalf/http/server.hpp"

#include <memory>

namespace caf {
class actor_system;
}

namespace onbehalf::actors {

/// Sends each request, as a message, to one of a small pool of front actors, which routes it
/// and runs its handler. A pool rather than one actor, so the front never becomes the single
/// lane every request queues in. dispatch() only enqueues: the I/O thread never waits.
class front_dispatcher final : public http::dispatcher {
public:
  /// `admit` (the sign-in policy) runs between routing and each handler; null admits everything.
  front_dispatcher(caf::actor_system& system, const http::router& routes, http::admission admit, unsigned actor_count);
  ~front_dispatcher() override; // asks its actors to exit
  void dispatch(http::exchange_ptr x) override;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::actors
