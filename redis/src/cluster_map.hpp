// What a Redis Cluster says about where slots live: CLUSTER SLOTS replies and MOVED/ASK errors,
// read as untrusted input (bounded, every number checked).
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/redis/client.hpp"
#include "onbehalf/redis/reply.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::redis::detail {

struct slot_range {
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  endpoint owner; // the master
};

struct slot_map {
  std::vector<slot_range> ranges;
};

/// CLUSTER SLOTS' reply. A master listed without a host (an empty or "?" name) is the node
/// that was asked (`asked`).
result<slot_map, std::string> parse_cluster_slots(const reply& r, const endpoint& asked);

struct redirection {
  bool moved = false; // MOVED (for good); else ASK (this once)
  std::uint16_t slot = 0;
  endpoint to;
};

/// "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381"; none when malformed.
std::optional<redirection> parse_redirection(std::string_view error_text);

} // namespace onbehalf::redis::detail
