#include "onbehalf/json/value.hpp"

namespace onbehalf::json {

const value* value::find(std::string_view name) const noexcept {
  const auto* members = if_object();
  if (!members) return nullptr;
  for (const auto& [key, v] : *members)
    if (key == name) return &v;
  return nullptr;
}

value& value::set(std::string name, value v) {
  if (is_null()) v_ = json::object{};
  auto& members = std::get<json::object>(v_);
  for (auto& [key, existing] : members)
    if (key == name) return existing = std::move(v);
  members.emplace_back(std::move(name), std::move(v));
  return members.back().second;
}

std::string_view describe(value::kind k) {
  switch (k) {
  case value::kind::null: return "null";
  case value::kind::boolean: return "a boolean";
  case value::kind::integer:
  case value::kind::unsigned_integer: return "an integer";
  case value::kind::number: return "a number";
  case value::kind::string: return "a string";
  case value::kind::array: return "an array";
  case value::kind::object: return "an object";
  }
  return "a value";
}

} // namespace onbehalf::json
