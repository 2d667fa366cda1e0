// Graceful stop for server programs: SIGINT and SIGTERM arrive as a value, not as an interruption.
#pragma once

namespace onbehalf {

/// Blocks SIGINT and SIGTERM for this thread and every thread started after it. Call first in main.
void block_stop_signals();

/// Waits for SIGINT or SIGTERM (blocked by block_stop_signals) and returns its name.
const char* wait_for_stop_signal();

} // namespace onbehalf
