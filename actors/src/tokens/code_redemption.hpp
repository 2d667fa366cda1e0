// Redeeming a sign-in's authorization code once, however often its callback arrives: a browser
// that posts the callback twice (a double submit, a retry through the load balancer) must not
// redeem the code twice, or a provider that revokes on reuse (oidc-provider) ends the sign-in it
// just granted. Callers of the same code share one redemption; across instances, the one holding
// the code's lease redeems it and keeps the answer, sealed, for the others to read. Private to actors/.
#pragma once

#include "tokens/token_grants.hpp"

#include "onbehalf/cache/coordination.hpp"

#include <caf/fwd.hpp>

#include <functional>
#include <string>

namespace onbehalf::actors::detail {

/// The actor that redeems the codes of one service. `leases` (may be null) coordinates instances
/// when it is shared; the answers kept for others go to the settings' store.
caf::actor spawn_code_redeemer(caf::actor_system& system, shared_settings settings, cache::coordination* leases);

void redeem_code_once(const caf::actor& redeemer, identity::token_grant grant, std::string user_flow, std::function<void(token_outcome)> done);

} // namespace onbehalf::actors::detail
