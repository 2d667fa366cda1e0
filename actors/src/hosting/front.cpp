#include "onbehalf/actors/front.hpp"

#include "hosting/front_messages.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <vector>

namespace onbehalf::actors {

namespace {

struct renderers {
  challenge_renderer page;
  live_challenge_renderer live;
};

caf::behavior front_actor(caf::event_based_actor*, const renderers* render) {
  return {
      [render](const challenge_raised& message) { render->page(message.exchange, message.what, message.policy); },
      [render](const live_challenge_raised& m) { render->live(m.socket, m.handshake, m.what, m.policy, m.page); },
  };
}

} // namespace

struct front_dispatcher::impl {
  const http::router* routes = nullptr;
  http::admission admit;
  renderers render;
  std::vector<caf::actor> actors;
  std::atomic<std::size_t> next{0};
};

front_dispatcher::front_dispatcher(caf::actor_system& system, const http::router& routes, http::admission admit, challenge_renderer render,
                                   live_challenge_renderer render_live, unsigned actor_count)
    : impl_(std::make_unique<impl>()) {
  impl_->routes = &routes;
  impl_->admit = std::move(admit);
  impl_->render = {std::move(render), std::move(render_live)};
  for (unsigned i = 0; i < std::max(1u, actor_count); ++i) impl_->actors.push_back(system.spawn(front_actor, &impl_->render));
}

front_dispatcher::~front_dispatcher() {
  for (auto& a : impl_->actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

void front_dispatcher::dispatch(http::exchange_ptr x) { http::route_and_handle(*impl_->routes, x, impl_->admit); }

void front_dispatcher::raise_live(http::websocket_ptr socket, http::exchange_ptr handshake, challenge c, http::consent_policy policy,
                                  std::string page) {
  auto& target = impl_->actors[impl_->next.fetch_add(1, std::memory_order_relaxed) % impl_->actors.size()];
  caf::anon_send(target, live_challenge_raised{std::move(socket), std::move(handshake), std::move(c), std::move(policy), std::move(page)});
}

void front_dispatcher::raise(http::exchange_ptr x, challenge c, http::consent_policy policy) {
  auto& target = impl_->actors[impl_->next.fetch_add(1, std::memory_order_relaxed) % impl_->actors.size()];
  caf::anon_send(target, challenge_raised{std::move(x), std::move(c), std::move(policy)});
}

} // namespace onbehalf::actors
