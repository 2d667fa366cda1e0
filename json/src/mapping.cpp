#include "onbehalf/json/mapping.hpp"

#include "find_named.hpp"

#include <cctype>

namespace onbehalf::json {

std::string camel_case(std::string_view member) {
  std::string out;
  out.reserve(member.size());
  bool upper_next = false;
  for (char c : member) {
    if (c == '_') {
      upper_next = !out.empty();
      continue;
    }
    out += upper_next ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper_next = false;
  }
  return out;
}

namespace detail {

bool names_match_loosely(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

const value* find_member(const json::object& members, std::string_view json_name, std::string_view camel_name) {
  return find_named<const value*>(members, json_name, camel_name, [](const value& v) { return &v; });
}

} // namespace detail

} // namespace onbehalf::json
