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
std::string_view trim(std::string_view s) noexcept;
std::vector<std::string_view> split(std::string_view s, char separator);

/// Edit distance (insertions, deletions, substitutions), ignoring ASCII case.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate a misspelt `word` most likely meant, if one is close enough to suggest.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);

/// Parses a whole string as an unsigned integer; nothing else accepted.
std::optional<unsigned long long> parse_unsigned(std::string_view s) noexcept;

} // namespace onbehalf::text
