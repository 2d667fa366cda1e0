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

#include "onbehalf/json/value.hpp"

#include <boost/describe/enum.hpp>
#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

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

// A view of the declared name (Describe keeps it for the program's life) unless the type names
// its members itself: reading a struct then copies no names.
template <class T>
auto json_name_of(std::string_view member) {
  if constexpr (names_its_members<T>) {
    return std::string(T::json_name(member));
  } else {
    return member;
  }
}

bool names_match_loosely(std::string_view a, std::string_view b);

/// Finds the member for a declared name: its JSON name, then its camelCase name, then either
/// without case.
const value* find_member(const json::object& members, std::string_view json_name, std::string_view camel_name);

/// Each member's camelCase name, made once per type: matching a JSON member then compares bytes.
template <class T>
const std::vector<std::string>& camel_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) { n.push_back(camel_case(d.name)); });
    return n;
  }();
  return names;
}

struct reader {
  std::string path = "$";
  std::optional<mapping_error> error;

  bool fail(std::string message) {
    if (!error) error = mapping_error{path, std::move(message)};
    return false;
  }
  bool wrong_kind(std::string_view expected, const value& v) { return fail("expected " + std::string(expected) + ", found " + std::string(describe(v.type()))); }
};

template <class T>
bool read_into(const value& v, T& out, reader& r);

template <class Integer>
bool read_integer(const value& v, Integer& out, reader& r) {
  if (const auto* i = v.if_integer()) {
    if (std::in_range<Integer>(*i)) {
      out = static_cast<Integer>(*i);
      return true;
    }
    return r.fail("the number " + std::to_string(*i) + " does not fit");
  }
  if (const auto* u = v.if_unsigned()) {
    if (std::in_range<Integer>(*u)) {
      out = static_cast<Integer>(*u);
      return true;
    }
    return r.fail("the number " + std::to_string(*u) + " does not fit");
  }
  if (const auto* d = v.if_number(); d && std::trunc(*d) == *d && *d >= static_cast<double>(std::numeric_limits<Integer>::min()) &&
                                     *d <= static_cast<double>(std::numeric_limits<Integer>::max())) {
    out = static_cast<Integer>(*d);
    return true;
  }
  return r.wrong_kind("an integer", v);
}

template <class T>
bool read_struct(const value& v, T& out, reader& r) {
  const auto* members = v.if_object();
  if (!members) return r.wrong_kind("an object", v);
  bool ok = true;
  const auto& camel = camel_names<T>();
  std::size_t index = 0;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    const auto& camel_name = camel[index++];
    if (!ok) return;
    auto name = json_name_of<T>(d.name);
    const value* member = find_member(*members, name, camel_name);
    if (!member || (member->is_null() && !is_optional<std::remove_cvref_t<decltype(out.*d.pointer)>>::value)) return;
    auto saved = r.path.size();
    r.path.append(1, '.').append(name);
    ok = read_into(*member, out.*d.pointer, r);
    if (ok) r.path.resize(saved);
  });
  return ok;
}

template <class T>
bool read_into(const value& v, T& out, reader& r) {
  if constexpr (std::is_same_v<T, value>) {
    out = v;
    return true;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (const auto* b = v.if_bool()) return out = *b, true;
    return r.wrong_kind("a boolean", v);
  } else if constexpr (std::is_integral_v<T>) {
    return read_integer(v, out, r);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (const auto* d = v.if_number()) return out = static_cast<T>(*d), true;
    if (const auto* i = v.if_integer()) return out = static_cast<T>(*i), true;
    if (const auto* u = v.if_unsigned()) return out = static_cast<T>(*u), true;
    return r.wrong_kind("a number", v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (const auto* s = v.if_string()) return out = *s, true;
    return r.wrong_kind("a string", v);
  } else if constexpr (is_optional<T>::value) {
    if (v.is_null()) return out.reset(), true;
    typename T::value_type inner{};
    if (!read_into(v, inner, r)) return false;
    out = std::move(inner);
    return true;
  } else if constexpr (is_vector<T>::value) {
    const auto* items = v.if_array();
    if (!items) return r.wrong_kind("an array", v);
    out.clear();
    out.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
      auto saved = r.path.size();
      r.path += "[" + std::to_string(i) + "]";
      typename T::value_type item{};
      if (!read_into((*items)[i], item, r)) return false;
      r.path.resize(saved);
      out.push_back(std::move(item));
    }
    return true;
  } else if constexpr (is_string_map<T>::value) {
    const auto* members = v.if_object();
    if (!members) return r.wrong_kind("an object", v);
    out.clear();
    for (const auto& [name, member] : *members) {
      auto saved = r.path.size();
      r.path.append(1, '.').append(name);
      typename T::mapped_type item{};
      if (!read_into(member, item, r)) return false;
      r.path.resize(saved);
      out.insert_or_assign(name, std::move(item));
    }
    return true;
  } else if constexpr (described_enum<T>) {
    const auto* s = v.if_string();
    if (!s) return r.wrong_kind("a string", v);
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>([&](auto e) {
      if (!found && names_match_loosely(e.name, *s)) out = e.value, found = true;
    });
    return found || r.fail("'" + *s + "' is not one of the expected names");
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
  if (!detail::read_into(v, out, r)) return failure{*r.error};
  return out;
}

/// Parses and maps in one step; malformed JSON is an error at "$".
template <class T>
result<T, mapping_error> read_as(std::string_view text) {
  auto parsed = parse(text);
  if (!parsed) return failure{mapping_error{"$", parsed.error()}};
  return from_value<T>(*parsed);
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
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
      const auto& member = t.*d.pointer;
      if constexpr (detail::is_optional<std::remove_cvref_t<decltype(member)>>::value) {
        if (!member) return;
      }
      members.emplace_back(detail::json_name_of<T>(d.name), to_value(member));
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
