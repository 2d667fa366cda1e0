// A CAF actor system configured as the host configures it, for tests that spawn actors.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include <memory>

namespace onbehalf::testing {

struct test_actor_system {
  caf::actor_system_config config; // the system keeps a reference: it must outlive it
  std::unique_ptr<caf::actor_system> system;

  test_actor_system() {
    config.set("scheduler.policy", caf::atom("sharing"));
    config.set("scheduler.max-threads", std::size_t{2});
    system = std::make_unique<caf::actor_system>(config);
  }
  ~test_actor_system() { system.reset(); }
};

} // namespace onbehalf::testing
