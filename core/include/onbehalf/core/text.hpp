// Small text helpers shared by configuration, HTTP and logging code.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::text {

/// ASCII case-insensitive equality, as configuration keys and HTTP tokens compare.
bool iequals(std::string_view a, std::string_view b) noexcept;
std::string to_lower(std::string_view s);
/// ASCII case-insensitive order, for maps looked up by names that compare without case.
struct iless {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};

/// Text made safe inside HTML elements and quoted attributes.
std::string html_escape(std::string_view s);
std::string_view trim(std::string_view s) noexcept;
std::vector<std::string_view> split(std::string_view s, char separator);
/// The parts would point into a temporary that is gone by the next statement.
std::vector<std::string_view> split(std::string&& s, char separator) = delete;
/// The part of `rest` before the first `separator` (all of it when there is none), and `rest`
/// becomes what follows that separator: split() one part at a time, with no vector.
std::string_view next_part(std::string_view& rest, char separator) noexcept;

/// The parts with `separator` between them.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

/// Edit distance (insertions, deletions, substitutions), ignoring ASCII case.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate a misspelt `word` most likely meant, if one is close enough to suggest.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);

/// Parses a whole string as an unsigned integer; nothing else accepted.
std::optional<unsigned long long> parse_unsigned(std::string_view s) noexcept;

} // namespace onbehalf::text

namespace onbehalf::text {

/// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~),
/// as query strings and application/x-www-form-urlencoded bodies need.
std::string percent_encode(std::string_view s);

/// Decodes %XX escapes (and '+' as a space in form bodies); nullopt when an escape is malformed.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space = false);

/// Fields of an application/x-www-form-urlencoded body or a query string, in order.
class form_fields {
public:
  form_fields& add(std::string_view name, std::string_view value);
  /// `a=1&b=2`, names and values percent-encoded.
  std::string encode() const;
  std::optional<std::string_view> find(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const noexcept { return fields_; }

  /// Parses `a=1&b=x+y`: '+' is a space, %XX is decoded. A malformed escape gives nullopt.
  static std::optional<form_fields> parse(std::string_view encoded);

private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

} // namespace onbehalf::text
