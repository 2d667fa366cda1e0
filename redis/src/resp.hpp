// RESP2, the protocol Redis speaks: commands written as arrays of bulk strings, replies read
// with limits on size and depth, because a reply is as untrusted as any bytes off a network.
#pragma once

#include "onbehalf/redis/reply.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::redis::resp {

/// Appends one command to `out`: *N, then each argument as a bulk string.
void append_command(std::string& out, const std::vector<std::string>& arguments);

struct limits {
  std::size_t max_bytes = 64 * 1024 * 1024; // one whole reply on the wire
  std::size_t max_elements = 1024 * 1024;   // per array
  std::size_t max_depth = 8;                // arrays within arrays (CLUSTER SLOTS needs 3)
};

struct parsed {
  enum class outcome { complete, incomplete, invalid };
  outcome state = outcome::incomplete;
  reply value;          // when complete
  std::size_t used = 0; // bytes of `data` the reply took, when complete
  std::string problem;  // when invalid: what was wrong, for the log
};

/// Reads the first reply in `data`. Incomplete when more bytes are needed (and the limits still
/// allow them); invalid when the bytes are not RESP2 or break a limit: the connection must end.
parsed parse(std::string_view data, const limits& l = {});

} // namespace onbehalf::redis::resp
