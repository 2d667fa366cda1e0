#include "onbehalf/http/trace_context.hpp"

#include "random_ids.hpp"

#include <algorithm>

namespace onbehalf::http {

namespace {

bool lower_hex(std::string_view s, std::size_t length) {
  return s.size() == length && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

// tracestate is opaque here, but it goes into headers we send: printable ASCII, bounded (W3C: 512).
bool acceptable_state(std::string_view s) {
  return s.size() <= 512 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

} // namespace

std::optional<trace_context> parse_traceparent(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags, then, from a later version, more after a "-".
  if (header.size() < 55) return std::nullopt;
  auto version = header.substr(0, 2);
  if (!lower_hex(version, 2) || version == "ff") return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  if (header.size() > 55 && (version == "00" || header[55] != '-')) return std::nullopt;
  auto trace_id = header.substr(3, 32);
  auto parent_id = header.substr(36, 16);
  auto flags = header.substr(53, 2);
  if (!lower_hex(trace_id, 32) || all_zero(trace_id) || !lower_hex(parent_id, 16) || all_zero(parent_id) || !lower_hex(flags, 2)) return std::nullopt;
  trace_context t;
  t.trace_id = std::string(trace_id);
  t.span_id = std::string(parent_id);
  // Only "sampled" (the lowest bit) is defined; it is what is passed on.
  t.flags = (flags[1] == '1' || flags[1] == '3' || flags[1] == '5' || flags[1] == '7' || flags[1] == '9' || flags[1] == 'b' || flags[1] == 'd' ||
             flags[1] == 'f')
                ? "01"
                : "00";
  return t;
}

std::string trace_context::traceparent() const {
  std::string header;
  header.reserve(3 + trace_id.size() + 1 + span_id.size() + 1 + flags.size()); // built once per call: one allocation
  header.append("00-").append(trace_id).append(1, '-').append(span_id).append(1, '-').append(flags);
  return header;
}

trace_context new_trace(std::string_view trace_id) {
  trace_context t;
  t.trace_id = lower_hex(trace_id, 32) && !all_zero(trace_id) ? std::string(trace_id) : detail::random_hex(32);
  t.span_id = detail::random_hex(16);
  return t;
}

trace_context continue_trace(const header_list& headers, std::string_view correlation_id) {
  auto header = headers.find("traceparent");
  auto caller = header ? parse_traceparent(*header) : std::nullopt;
  if (!caller) return new_trace(correlation_id);
  caller->span_id = detail::random_hex(16);
  if (auto state = headers.find("tracestate"); state && acceptable_state(*state)) caller->state = std::string(*state);
  return *caller;
}

} // namespace onbehalf::http
