#include "onbehalf/json/value.hpp"

#include <simdjson.h>

#include <algorithm>

namespace onbehalf::json {

namespace {

namespace dom = simdjson::dom;

struct builder {
  std::size_t max_depth;
  std::string problem;

  bool build(dom::element e, value& out, std::size_t depth) {
    if (depth > max_depth) {
      problem = "it nests deeper than " + std::to_string(max_depth) + " levels";
      return false;
    }
    switch (e.type()) {
    case dom::element_type::NULL_VALUE: out = nullptr; return true;
    case dom::element_type::BOOL: out = bool(e.get_bool().value_unsafe()); return true;
    case dom::element_type::INT64: out = e.get_int64().value_unsafe(); return true;
    case dom::element_type::UINT64: out = e.get_uint64().value_unsafe(); return true;
    case dom::element_type::DOUBLE: out = e.get_double().value_unsafe(); return true;
    case dom::element_type::STRING: out = std::string_view(e.get_string().value_unsafe()); return true;
    case dom::element_type::ARRAY: {
      json::array items;
      dom::array source = e.get_array().value_unsafe();
      items.reserve(std::min<std::size_t>(source.size(), 1024)); // simdjson's count stops at 2^24 - 1; past 1024 the vector grows as it fills
      for (dom::element item : source) {
        items.emplace_back();
        if (!build(item, items.back(), depth + 1)) return false;
      }
      out = std::move(items);
      return true;
    }
    case dom::element_type::OBJECT: {
      json::object members;
      dom::object source = e.get_object().value_unsafe();
      members.reserve(std::min<std::size_t>(source.size(), 1024));
      for (dom::key_value_pair member : source) {
        members.emplace_back(std::string(member.key), value());
        if (!build(member.value, members.back().second, depth + 1)) return false;
      }
      out = std::move(members);
      return true;
    }
    }
    problem = "it holds a value of an unknown kind";
    return false;
  }
};

} // namespace

result<value, std::string> parse(std::string_view text, parse_limits limits) {
  // One parser per thread keeps its buffers between documents, including the padded one it
  // copies the text into: the copy needs no allocation once that buffer has grown.
  thread_local dom::parser parser;
  dom::element root;
  if (auto code = parser.parse(text.data(), text.size(), true).get(root)) {
    if (code == simdjson::EMPTY) return failure{std::string("the body is empty, not JSON")};
    return failure{std::string("the body is not valid JSON (") + simdjson::error_message(code) + ")"};
  }
  builder b{limits.max_depth, {}};
  value out;
  if (!b.build(root, out, 0)) return failure{"the JSON is refused: " + b.problem};
  return out;
}

} // namespace onbehalf::json
