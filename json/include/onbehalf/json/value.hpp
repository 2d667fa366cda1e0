// A JSON document as a plain C++ value: what API bodies are read into (with simdjson) and
// written from (with Boost.JSON), and what mapping.hpp turns into and out of user structs.
// Neither library's headers are included here.
#pragma once

#include "onbehalf/core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace onbehalf::json {

class value;
using array = std::vector<value>;
/// Members in document order; a later duplicate name is kept but never found.
using object = std::vector<std::pair<std::string, value>>;

class value {
public:
  enum class kind { null, boolean, integer, unsigned_integer, number, string, array, object };

  value() = default;
  value(std::nullptr_t) {}
  value(bool b) : v_(b) {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) value(I i) {
    if constexpr (std::is_signed_v<I>) {
      v_ = static_cast<std::int64_t>(i);
    } else if (static_cast<std::uint64_t>(i) <= static_cast<std::uint64_t>(INT64_MAX)) {
      v_ = static_cast<std::int64_t>(i);
    } else {
      v_ = static_cast<std::uint64_t>(i);
    }
  }
  value(double d) : v_(d) {}
  value(std::string s) : v_(std::move(s)) {}
  value(std::string_view s) : v_(std::string(s)) {}
  value(const char* s) : v_(std::string(s)) {}
  value(json::array a) : v_(std::move(a)) {}
  value(json::object o) : v_(std::move(o)) {}

  kind type() const noexcept { return static_cast<kind>(v_.index()); }
  bool is_null() const noexcept { return type() == kind::null; }

  const bool* if_bool() const noexcept { return std::get_if<bool>(&v_); }
  const std::int64_t* if_integer() const noexcept { return std::get_if<std::int64_t>(&v_); }
  const std::uint64_t* if_unsigned() const noexcept { return std::get_if<std::uint64_t>(&v_); }
  const double* if_number() const noexcept { return std::get_if<double>(&v_); }
  const std::string* if_string() const noexcept { return std::get_if<std::string>(&v_); }
  const json::array* if_array() const noexcept { return std::get_if<json::array>(&v_); }
  const json::object* if_object() const noexcept { return std::get_if<json::object>(&v_); }
  json::array* if_array() noexcept { return std::get_if<json::array>(&v_); }
  json::object* if_object() noexcept { return std::get_if<json::object>(&v_); }

  /// An object's member; null when this is not an object or has no such member.
  const value* find(std::string_view name) const noexcept;
  /// Sets an object's member (turning a null into an object first).
  value& set(std::string name, value v);

  friend bool operator==(const value& a, const value& b) = default;

private:
  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, json::array, json::object> v_;
};

/// "a string", "an object"…: for error messages.
std::string_view describe(value::kind k);

struct parse_limits {
  std::size_t max_depth = 256;
};

/// Parses a whole document with simdjson. The error says where and what in plain words.
result<value, std::string> parse(std::string_view text, parse_limits limits = {});

/// Compact JSON text, written (and escaped) by Boost.JSON.
std::string serialize(const value& v);

} // namespace onbehalf::json
