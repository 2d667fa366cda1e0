// Spawning an actor from whatever thread needs one. Private to actors/.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/logger.hpp>

#include <utility>

namespace onbehalf::actors {

/// CAF's spawn makes the calling thread hold the actor system's logger. A thread that is not
/// one of CAF's (the HTTP client's, where a coroutine resumed and asked for a token; a cache's
/// worker) must let go of it again, or the actor system's destructor waits for that thread's
/// end forever.
template <class... Args>
caf::actor spawn_from_any_thread(caf::actor_system& system, Args&&... args) {
  bool caf_thread = caf::logger::current_logger() != nullptr;
  auto spawned = system.spawn(std::forward<Args>(args)...);
  if (!caf_thread) caf::logger::set_current_actor_system(nullptr);
  return spawned;
}

} // namespace onbehalf::actors
