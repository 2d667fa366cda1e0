// Times and durations read from the network or from storage, made safe before any arithmetic:
// system_clock counts nanoseconds in 64 bits, so a count of seconds beyond about 292 years
// overflows (undefined behaviour) the moment it is converted or added. Every such number is
// clamped here first.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <type_traits>

namespace onbehalf {

/// The latest instant onbehalf believes: 2200-01-01, well inside system_clock's range.
inline constexpr std::int64_t latest_believable_seconds = 7'258'118'400;

/// `n` within [0, most], whatever its type and sign.
template <std::integral N>
constexpr std::int64_t clamp_untrusted(N n, std::int64_t most) {
  if constexpr (std::is_signed_v<N>) {
    if (n < 0) return 0;
  }
  return static_cast<std::uint64_t>(n) > static_cast<std::uint64_t>(most) ? most : static_cast<std::int64_t>(n);
}

/// Seconds since 1970 as an instant; before 1970 is 1970, after 2200 is 2200.
template <std::integral N>
constexpr std::chrono::system_clock::time_point instant_from_untrusted(N seconds_since_epoch) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(clamp_untrusted(seconds_since_epoch, latest_believable_seconds)));
}

/// A count of seconds as a duration of at most `most`; a negative count is none.
template <std::integral N>
constexpr std::chrono::seconds duration_from_untrusted(N seconds, std::chrono::seconds most) {
  return std::chrono::seconds(clamp_untrusted(seconds, most.count()));
}

} // namespace onbehalf
