// Read-only access to a JSON object from an authority (token response, JWKS, discovery, JWT
// claims), with typed lookups that tell "missing" from "wrong type". Parsed with simdjson.
#pragma once

#include "onbehalf/core/result.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::identity {

class json_object {
public:
  /// Parses text whose top level must be an object. The error says what is wrong in plain words.
  static result<json_object, std::string> parse(std::string_view text);

  bool has(std::string_view key) const;

  /// Each lookup: nullopt when the key is absent or null; `wrong_type(key)` tells the two apart.
  std::optional<std::string> string(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key) const; // also accepts a string of digits, as some authorities send expires_in
  std::optional<bool> boolean(std::string_view key) const;
  /// A string array; a single string counts as a one-element array (as `aud` may be either).
  std::optional<std::vector<std::string>> strings(std::string_view key) const;
  std::optional<std::vector<std::int64_t>> integers(std::string_view key) const;
  std::optional<json_object> object(std::string_view key) const;
  std::optional<std::vector<json_object>> objects(std::string_view key) const;

  /// True when the key is present, not null, and not of the type `kind` names
  /// ("string", "integer", "boolean", "array", "object").
  bool wrong_type(std::string_view key, std::string_view kind) const;

  /// Names of all members, in document order.
  std::vector<std::string> keys() const;
  /// The member's JSON text exactly as received (e.g. a `claims` object to pass on).
  std::optional<std::string> raw(std::string_view key) const;

private:
  struct state;
  std::shared_ptr<const state> state_;
  const void* element_ = nullptr; // a simdjson::dom::element inside state_
  std::shared_ptr<const void> element_storage_;
};

} // namespace onbehalf::identity
