// A downstream request sent within the API's deadline, and sent again — only when that is safe
// (an idempotent method) and useful (the API was unreachable, throttling or briefly down).
// Private to actors/.
#pragma once

#include "onbehalf/config/settings.hpp"
#include "onbehalf/core/task.hpp"
#include "onbehalf/http/client.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace onbehalf::actors::detail {

struct send_policy {
  std::optional<std::chrono::milliseconds> timeout; // for the whole call, retries included
  unsigned max_retries = 2;
  std::chrono::milliseconds max_retry_delay{2000};

  static send_policy of(const config::downstream_api_options& o) { return {o.timeout, o.max_retries, o.max_retry_delay}; }
};

/// How long to wait before sending again after `reply` to the `attempt`th send (0 for the first),
/// or nullopt for no retry: the method is not idempotent, the retries are spent, the failure is
/// not one a retry helps with, the API's Retry-After asks for more than max_retry_delay, or the
/// wait would not end before the deadline (`remaining`). Without Retry-After the wait doubles
/// from 100 ms, scaled by `jitter` in [0, 1] to between half and all of it.
std::optional<std::chrono::milliseconds> retry_delay(const http::client_result& reply, std::string_view method, unsigned attempt,
                                                     const send_policy& policy, std::optional<std::chrono::milliseconds> remaining, double jitter);

struct sent {
  http::client_result reply;
  unsigned retries = 0;
};

/// Sends `request` under `policy`; each attempt's response timeout is what remains of the deadline.
task<sent> send_with_retries(http::client& web, http::client_request request, send_policy policy);

} // namespace onbehalf::actors::detail
