// What RFC 9112 asks of a request's framing and Host beyond the syntax both readers check: one
// way to read its length, and one host it is for. A request that fails is refused and its
// connection closed (sections 3.2, 6.1, 6.3), so that no byte after it can be taken for a request
// that a proxy in front framed differently. Private to http/ (and its tests).
#pragma once

#include "onbehalf/http/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace onbehalf::http::detail {

struct framing_refusal {
  unsigned status; // 400, or 501 for a transfer coding the server does not implement
  std::string message;
};

/// Nothing when the request's Transfer-Encoding, Content-Length and Host fields frame and address
/// it one way only; otherwise why not. `version` is 10 or 11.
std::optional<framing_refusal> refuse_framing(const header_list& headers, int version);

/// A Host field's value as RFC 9110 section 7.2 has it: uri-host [ ":" port ], or empty.
bool valid_host(std::string_view value);

} // namespace onbehalf::http::detail
