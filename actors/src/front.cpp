#include "onbehalf/actors/front.hpp"

#include "front_messages.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <vector>

namespace onbehalf::actors {

namespace {

caf::behavior front_actor(caf::event_based_actor*, const http::router* routes, const http::admission* admit) {
  return {
      [routes, admit](const request_arrived& message) { http::route_and_handle(*routes, message.exchange, *admit); },
  };
}

} // namespace

struct front_dispatcher::impl {
  http::admission admit;
  std::vector<caf::actor> actors;
  std::atomic<std::size_t> next{0};
};

front_dispatcher::front_dispatcher(caf::actor_system& system, const http::router& routes, http::admission admit, unsigned actor_count)
    : impl_(std::make_unique<impl>()) {
  impl_->admit = std::move(admit);
  for (unsigned i = 0; i < std::max(1u, actor_count); ++i) impl_->actors.push_back(system.spawn(front_actor, &routes, &impl_->admit));
}

front_dispatcher::~front_dispatcher() {
  for (auto& a : impl_->actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

void front_dispatcher::dispatch(http::exchange_ptr x) {
  auto& target = impl_->actors[impl_->next.fetch_add(1, std::memory_order_relaxed) % impl_->actors.size()];
  caf::anon_send(target, request_arrived{std::move(x)});
}

} // namespace onbehalf::actors
