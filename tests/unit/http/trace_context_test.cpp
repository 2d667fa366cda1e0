// W3C Trace Context as onbehalf reads and passes it on.
#include "onbehalf/http/trace_context.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::http;

namespace {

const std::string caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

header_list with(std::initializer_list<std::pair<std::string, std::string>> fields) {
  header_list h;
  for (const auto& [name, value] : fields) h.add(name, value);
  return h;
}

} // namespace

TEST_CASE("a caller's traceparent gives the trace id and flags, and onbehalf's calls get a span of their own") {
  auto t = continue_trace(with({{"traceparent", caller}, {"tracestate", "congo=t61rcWkgMzE"}}));
  CHECK(t.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(t.flags == "01");
  CHECK(t.state == "congo=t61rcWkgMzE");
  CHECK(t.span_id.size() == 16);
  CHECK(t.span_id != "00f067aa0ba902b7");
  CHECK(t.traceparent() == "00-4bf92f3577b34da6a3ce929d0e0e4736-" + t.span_id + "-01");
}

TEST_CASE("malformed traceparents are ignored, as the specification asks") {
  for (std::string bad : {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",       // upper case
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",       // all-zero trace id
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",       // all-zero parent
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",       // version ff
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // 00 has no more fields
                          "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""}) {
    INFO(bad);
    CHECK_FALSE(parse_traceparent(bad));
  }
}

TEST_CASE("a later version's traceparent is read by its first four fields, and passed on as version 00") {
  auto t = parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-what-comes-next");
  REQUIRE(t);
  CHECK(t->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(t->flags == "01"); // only "sampled" is known and kept
}

TEST_CASE("without a usable traceparent a new trace starts, named by the request's correlation id") {
  auto t = continue_trace(with({{"traceparent", "garbage"}}), "0123456789abcdef0123456789abcdef");
  CHECK(t.trace_id == "0123456789abcdef0123456789abcdef");
  CHECK(t.flags == "00");
  auto other = continue_trace({}, "a caller's own id, not hex");
  CHECK(other.trace_id.size() == 32);
  CHECK(other.trace_id.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("a tracestate that could break a header is dropped, the trace kept") {
  auto t = continue_trace(with({{"traceparent", caller}, {"tracestate", std::string(600, 'a')}}));
  CHECK(t.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(t.state.empty());
}
