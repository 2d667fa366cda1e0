// The member search read_struct uses, for a json::object and for a parsed document's object alike.
#pragma once

#include <string_view>

namespace onbehalf::json::detail {

bool names_match_loosely(std::string_view a, std::string_view b);

/// The first member named `json_name`, else `camel_name`, else either without case; `take`
/// turns the member's value into what the caller returns.
template <class Found, class Members, class Take>
Found find_named(const Members& members, std::string_view json_name, std::string_view camel_name, Take take) {
  for (const auto& [name, v] : members)
    if (name == json_name) return take(v);
  for (const auto& [name, v] : members)
    if (name == camel_name) return take(v);
  for (const auto& [name, v] : members)
    if (names_match_loosely(name, json_name) || names_match_loosely(name, camel_name)) return take(v);
  return Found{};
}

} // namespace onbehalf::json::detail
