#include "onbehalf/actors/front.hpp"

#include "front_messages.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <vector>

namespace onbehalf::actors {

namespace {

caf::behavior front_actor(caf::event_based_actor*, const http::router* routes, const http::admission* admit, const challenge_renderer* render) {
  return {
      [routes, admit](const request_arrived& message) { http::route_and_handle(*routes, message.exchange, *admit); },
      [render](const challenge_raised& message) { (*render)(message.exchange, message.what, message.policy); },
  };
}

} // namespace

struct front_dispatcher::impl {
  http::admission admit;
  challenge_renderer render;
  std::vector<caf::actor> actors;
  std::atomic<std::size_t> next{0};
};

front_dispatcher::front_dispatcher(caf::actor_system& system, const http::router& routes, http::admission admit, challenge_renderer render,
                                   unsigned actor_count)
    : impl_(std::make_unique<impl>()) {
  impl_->admit = std::move(admit);
  impl_->render = std::move(render);
  for (unsigned i = 0; i < std::max(1u, actor_count); ++i)
    impl_->actors.push_back(system.spawn(front_actor, &routes, &impl_->admit, &impl_->render));
}

front_dispatcher::~front_dispatcher() {
  for (auto& a : impl_->actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

void front_dispatcher::dispatch(http::exchange_ptr x) {
  auto& target = impl_->actors[impl_->next.fetch_add(1, std::memory_order_relaxed) % impl_->actors.size()];
  caf::anon_send(target, request_arrived{std::move(x)});
}

void front_dispatcher::raise(http::exchange_ptr x, challenge c, http::consent_policy policy) {
  auto& target = impl_->actors[impl_->next.fetch_add(1, std::memory_order_relaxed) % impl_->actors.size()];
  caf::anon_send(target, challenge_raised{std::move(x), std::move(c), std::move(policy)});
}

} // namespace onbehalf::actors
