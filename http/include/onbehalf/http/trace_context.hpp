// W3C Trace Context: which distributed trace a request belongs to, taken from the caller's
// traceparent and passed on to the authority and to downstream APIs, so that a tracing system
// joins onbehalf's calls to the request that caused them.
#pragma once

#include "onbehalf/http/message.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace onbehalf::http {

struct trace_context {
  std::string trace_id; // 32 lowercase hex digits, not all zero
  std::string span_id;  // 16 lowercase hex digits: this service's part, the parent of its calls
  std::string flags = "00";
  std::string state; // tracestate, passed on as received

  bool empty() const noexcept { return trace_id.empty(); }
  /// The traceparent header for a call made within this span.
  std::string traceparent() const;
};

/// The caller's trace id and flags from a traceparent header (version 00, or a later version's
/// first four fields), or nullopt when it is malformed; `span_id` is then the caller's span.
std::optional<trace_context> parse_traceparent(std::string_view header);

/// The trace of a request: the caller's (traceparent and tracestate) with a new span for this
/// service, or a new trace when the caller sent none or a malformed one — whose id is then the
/// request's correlation id, when that is 32 hex digits (as generated ones are), so that one id
/// finds the request in onbehalf's logs and in the tracing system.
trace_context continue_trace(const header_list& headers, std::string_view correlation_id = {});

/// A new trace, for work that no request started; `trace_id` when it is a valid one.
trace_context new_trace(std::string_view trace_id = {});

} // namespace onbehalf::http
