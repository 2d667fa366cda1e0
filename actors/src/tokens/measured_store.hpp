// The level-2 store as /metrics sees it: each request by operation and outcome, and how long the
// store took. A decorator around whichever store the app uses. Private to actors/.
#pragma once

#include "onbehalf/cache/durable_store.hpp"

#include <memory>
#include <string>

namespace onbehalf::actors::detail {

class measured_store;

/// `inner`, measured; `render_store_metrics` reads the figures.
std::unique_ptr<cache::durable_store> measured(std::unique_ptr<cache::durable_store> inner);

/// onbehalf_cache_l2_requests_total{store,operation,outcome} and
/// onbehalf_cache_l2_request_duration_seconds{store,operation}; empty for a store not made by measured().
std::string render_store_metrics(const cache::durable_store& store);

} // namespace onbehalf::actors::detail
