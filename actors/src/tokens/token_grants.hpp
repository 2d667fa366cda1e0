// Sending a grant to the authority's token endpoint, as the token actors and the code-redemption
// actor do. Private to actors/.
#pragma once

#include "onbehalf/actors/authority_client.hpp"
#include "onbehalf/actors/token_service.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace onbehalf::actors::detail {

using shared_settings = std::shared_ptr<const token_service_settings>;

/// Sends a grant to the token endpoint: the configured one, or the one the authority's discovery
/// document names (fetched once and shared), for the tenant and user flow the options name. The
/// answer may come after the asking actor is gone: nothing here holds its state.
void send_grant(const shared_settings& s, identity::token_grant grant, const token_acquisition_options& o, std::function<void(token_outcome)> done,
                std::optional<std::chrono::milliseconds> timeout = std::nullopt);

/// `done`, counting the request it answers in the service's metrics under `grant`.
std::function<void(token_outcome)> measured(const shared_settings& s, std::string grant, std::function<void(token_outcome)> done);

/// A grant under a lease must end before the lease does, or another holder could redeem the same
/// credential while the authority still answers this one.
inline std::chrono::milliseconds timeout_within(std::chrono::milliseconds lease_time) {
  return std::max(std::chrono::milliseconds(1'000), lease_time - std::chrono::milliseconds(2'000));
}

} // namespace onbehalf::actors::detail
