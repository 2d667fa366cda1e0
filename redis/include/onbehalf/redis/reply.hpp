// A Redis reply (RESP2) as a value: what a command answered, read from the wire with limits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::redis {

struct reply {
  enum class kind { string, status, error, integer, nil, array };
  kind type = kind::nil;
  std::string text;            // string, status and error replies
  long long integer = 0;       // integer replies
  std::vector<reply> elements; // array replies

  bool is_nil() const noexcept { return type == kind::nil; }
  bool is_string() const noexcept { return type == kind::string; }
  bool is_array() const noexcept { return type == kind::array; }
  bool is_error() const noexcept { return type == kind::error; }
  /// The status reply +OK.
  bool is_ok() const noexcept { return type == kind::status && text == "OK"; }
};

} // namespace onbehalf::redis
