// A string that must never be printed: client secrets, passwords, keys, tokens.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace onbehalf {

/// Holds a sensitive value. Printing it shows a mask; only `reveal()` gives the value,
/// so every place that uses the real value is easy to find.
class secret {
public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  /// What logs and diagnostics show instead of the value.
  static constexpr std::string_view mask = "****";

  friend std::ostream& operator<<(std::ostream& out, const secret&) { return out << mask; }
  friend bool operator==(const secret&, const secret&) = default;

private:
  std::string value_;
};

} // namespace onbehalf
