// User structs to and from JSON with no code per field: describe the struct once with
// BOOST_DESCRIBE_STRUCT and read_as<T>() / write() do the rest.
//
//   struct todo { std::int64_t id = 0; std::string title; bool done = false; std::optional<std::string> owner; };
//   BOOST_DESCRIBE_STRUCT(todo, (), (id, title, done, owner))
//
// Supported members: bool, integers, floating point, std::string, std::optional<T> (absent or
// null reads as empty; empty is left out when writing), std::vector<T>, std::map<std::string, T>,
// described enums (as their enumerator names), described structs, and json::value for anything
// free-form. Reading ignores unknown members, keeps a member's default when it is absent or
// null, and matches names exactly, then in camelCase (display_name ↔ "displayName"), then
// without case. A struct may name its members' JSON itself with
//   static std::string json_name(std::string_view member);   // e.g. next_link → "@odata.nextLink"
// A value of the wrong kind is an error naming where it is: "$.items[2].done: expected a
// boolean, found a string".
#pragma once

#include "onbehalf/json/node.hpp"
#include "onbehalf/json/value.hpp"

#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace onbehalf::json {

/// Where in the document a value did not fit the type, and how.
struct mapping_error {
  std::string path; // "$", "$.items[2].done"
  std::string message;
  std::string to_string() const { return path + ": " + message; }
};

/// display_name → displayName
std::string camel_case(std::string_view member);

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};

template <class T>
concept described_struct = boost::describe::has_describe_members<T>::value && !std::is_union_v<T>;
template <class T>
concept described_enum = boost::describe::has_describe_enumerators<T>::value;
template <class T>
concept names_its_members = requires(std::string_view m) {
  { T::json_name(m) } -> std::convertible_to<std::string>;
};

bool names_match_loosely(std::string_view a, std::string_view b);

/// Finds the member for a declared name: its JSON name, then its camelCase name, then either
/// without case.
const value* find_member(const json::object& members, std::string_view json_name, std::string_view camel_name);

/// How many items to make room for: simdjson's count stops at 2^24 - 1, so past 1024 a vector
/// grows as it fills.
inline std::size_t room_for(const json::array* items) { return items->size(); }
inline std::size_t room_for(const std::optional<node_array>& items) { return std::min<std::size_t>(items->size_hint(), 1024); }

/// A member's JSON name (its declared name, unless the type names its members itself) and its
/// camelCase name.
struct member_name {
  std::string json;
  std::string camel;
};

/// Every member's names, made once per type: reading or writing a struct then makes no names.
template <class T>
const std::vector<member_name>& member_names() {
  static const std::vector<member_name> names = [] {
    std::vector<member_name> n;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
      if constexpr (names_its_members<T>) {
        n.push_back({std::string(T::json_name(d.name)), camel_case(d.name)});
      } else {
        n.push_back({d.name, camel_case(d.name)});
      }
    });
    return n;
  }();
  return names;
}

// The error's path is built on the way out of a failed read, from the innermost value to "$":
// a read that succeeds builds no paths.
struct reader {
  std::optional<mapping_error> error;

  bool fail(std::string message) {
    if (!error) error = mapping_error{"", std::move(message)};
    return false;
  }
  bool failed_within(std::string_view prefix, std::string_view name, std::string_view suffix = {}) {
    error->path.insert(0, std::string(prefix).append(name).append(suffix));
    return false;
  }
  mapping_error from_root() {
    error->path.insert(0, "$");
    return std::move(*error);
  }
  template <class V>
  bool wrong_kind(std::string_view expected, const V& v) {
    return fail("expected " + std::string(expected) + ", found " + std::string(describe(v.type())));
  }
};

// V is a json::value (from_value) or a node of a parsed document (read_as): both answer the
// same questions, with a pointer or an optional.
template <class V, class T>
bool read_into(const V& v, T& out, reader& r);

template <class V, class Integer>
bool read_integer(const V& v, Integer& out, reader& r) {
  if (auto i = v.if_integer()) {
    if (std::in_range<Integer>(*i)) {
      out = static_cast<Integer>(*i);
      return true;
    }
    return r.fail("the number " + std::to_string(*i) + " does not fit");
  }
  if (auto u = v.if_unsigned()) {
    if (std::in_range<Integer>(*u)) {
      out = static_cast<Integer>(*u);
      return true;
    }
    return r.fail("the number " + std::to_string(*u) + " does not fit");
  }
  if (auto d = v.if_number(); d && std::trunc(*d) == *d && *d >= static_cast<double>(std::numeric_limits<Integer>::min()) &&
                              *d <= static_cast<double>(std::numeric_limits<Integer>::max())) {
    out = static_cast<Integer>(*d);
    return true;
  }
  return r.wrong_kind("an integer", v);
}

template <class V, class T>
bool read_struct(const V& v, T& out, reader& r) {
  auto members = v.if_object();
  if (!members) return r.wrong_kind("an object", v);
  bool ok = true;
  const auto* name = member_names<T>().data();
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    const auto& names = *name++;
    if (!ok) return;
    auto member = find_member(*members, names.json, names.camel);
    if (!member || (member->is_null() && !is_optional<std::remove_cvref_t<decltype(out.*d.pointer)>>::value)) return;
    if (!read_into(*member, out.*d.pointer, r)) ok = r.failed_within(".", names.json);
  });
  return ok;
}

template <class V, class T>
bool read_into(const V& v, T& out, reader& r) {
  if constexpr (std::is_same_v<T, value> && std::is_same_v<V, value>) {
    out = v;
    return true;
  } else if constexpr (std::is_same_v<T, value>) {
    auto copied = v.copy();
    if (!copied) return r.fail(std::move(copied.error()));
    out = std::move(*copied);
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto b = v.if_bool()) return out = *b, true;
    return r.wrong_kind("a boolean", v);
  } else if constexpr (std::is_integral_v<T>) {
    return read_integer(v, out, r);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto d = v.if_number()) return out = static_cast<T>(*d), true;
    if (auto i = v.if_integer()) return out = static_cast<T>(*i), true;
    if (auto u = v.if_unsigned()) return out = static_cast<T>(*u), true;
    return r.wrong_kind("a number", v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto s = v.if_string()) return out = *s, true;
    return r.wrong_kind("a string", v);
  } else if constexpr (is_optional<T>::value) {
    if (v.is_null()) return out.reset(), true;
    typename T::value_type inner{};
    if (!read_into(v, inner, r)) return false;
    out = std::move(inner);
    return true;
  } else if constexpr (is_vector<T>::value) {
    auto items = v.if_array();
    if (!items) return r.wrong_kind("an array", v);
    out.clear();
    out.reserve(room_for(items));
    for (const auto& source : *items) {
      typename T::value_type item{};
      if (!read_into(source, item, r)) return r.failed_within("[", std::to_string(out.size()), "]");
      out.push_back(std::move(item));
    }
    return true;
  } else if constexpr (is_string_map<T>::value) {
    auto members = v.if_object();
    if (!members) return r.wrong_kind("an object", v);
    out.clear();
    for (const auto& [name, member] : *members) {
      typename T::mapped_type item{};
      if (!read_into(member, item, r)) return r.failed_within(".", name);
      out.insert_or_assign(std::string(name), std::move(item));
    }
    return true;
  } else if constexpr (described_enum<T>) {
    auto s = v.if_string();
    if (!s) return r.wrong_kind("a string", v);
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto e) {
      if (!found && names_match_loosely(e.name, *s)) out = e.value, found = true;
    });
    return found || r.fail("'" + std::string(*s) + "' is not one of the expected names");
  } else if constexpr (described_struct<T>) {
    return read_struct(v, out, r);
  } else {
    static_assert(sizeof(T) == 0, "this type cannot be read from JSON: describe it with BOOST_DESCRIBE_STRUCT or BOOST_DESCRIBE_ENUM");
  }
}

} // namespace detail

/// The value as a T, or where and why it does not fit.
template <class T>
result<T, mapping_error> from_value(const value& v) {
  T out{};
  detail::reader r;
  if (!detail::read_into(v, out, r)) return failure{r.from_root()};
  return out;
}

/// Parses and maps in one step, straight from the parsed document into the T; malformed JSON
/// is an error at "$".
template <class T>
result<T, mapping_error> read_as(std::string_view text) {
  T out{};
  detail::reader r;
  bool read = false;
  auto malformed = with_parsed(text, [&](node root) { read = detail::read_into(root, out, r); });
  if (malformed) return failure{mapping_error{"$", std::move(*malformed)}};
  if (!read) return failure{r.from_root()};
  return out;
}

template <class T>
value to_value(const T& t) {
  if constexpr (std::is_same_v<T, value>) {
    return t;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
    return value(t);
  } else if constexpr (detail::is_optional<T>::value) {
    return t ? to_value(*t) : value();
  } else if constexpr (detail::is_vector<T>::value) {
    json::array items;
    items.reserve(t.size());
    for (const auto& item : t) items.push_back(to_value(item));
    return items;
  } else if constexpr (detail::is_string_map<T>::value) {
    json::object members;
    for (const auto& [name, item] : t) members.emplace_back(name, to_value(item));
    return members;
  } else if constexpr (detail::described_enum<T>) {
    std::string name;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto e) {
      if (t == e.value) name = e.name;
    });
    return name;
  } else if constexpr (detail::described_struct<T>) {
    json::object members;
    const auto* name = detail::member_names<T>().data();
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
      const auto& names = *name++;
      const auto& member = t.*d.pointer;
      if constexpr (detail::is_optional<std::remove_cvref_t<decltype(member)>>::value) {
        if (!member) return;
      }
      members.emplace_back(names.json, to_value(member));
    });
    return members;
  } else {
    static_assert(sizeof(T) == 0, "this type cannot be written as JSON: describe it with BOOST_DESCRIBE_STRUCT or BOOST_DESCRIBE_ENUM");
  }
}

template <class T>
std::string write(const T& t) {
  return serialize(to_value(t));
}

} // namespace onbehalf::json
