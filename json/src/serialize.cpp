#include "onbehalf/json/value.hpp"

#include <boost/json.hpp>

namespace onbehalf::json {

namespace {

boost::json::value to_boost(const value& v) {
  switch (v.type()) {
  case value::kind::null: return nullptr;
  case value::kind::boolean: return *v.if_bool();
  case value::kind::integer: return *v.if_integer();
  case value::kind::unsigned_integer: return *v.if_unsigned();
  case value::kind::number: return *v.if_number();
  case value::kind::string: return boost::json::string(*v.if_string());
  case value::kind::array: {
    boost::json::array a;
    a.reserve(v.if_array()->size());
    for (const auto& item : *v.if_array()) a.push_back(to_boost(item));
    return a;
  }
  case value::kind::object: {
    boost::json::object o;
    o.reserve(v.if_object()->size());
    for (const auto& [name, member] : *v.if_object()) o[name] = to_boost(member);
    return o;
  }
  }
  return nullptr;
}

} // namespace

std::string serialize(const value& v) { return boost::json::serialize(to_boost(v)); }

} // namespace onbehalf::json
