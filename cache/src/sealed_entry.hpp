// How both level-2 stores keep a value: 8 bytes of expiry (seconds since 1970, big-endian,
// readable without keys) then the sealed expiry and value, bound to the entry's key so a value
// copied under another key does not open. Private to cache/.
#pragma once

#include "onbehalf/core/sealing.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace onbehalf::cache::sealed_entry {

inline constexpr std::size_t expiry_bytes = 8;

long long seconds_of(std::chrono::system_clock::time_point t);
/// The expiry in a stored entry, without opening it; nullopt when the entry is too short.
std::optional<long long> expiry_of(std::string_view stored);

std::string make(const key_ring& keys, std::string_view key, std::string_view value, std::chrono::system_clock::time_point expires);

enum class outcome { value, expired, unreadable };
struct opened {
  outcome state;
  std::string value;
};
opened open(const key_ring& keys, std::string_view key, std::string_view stored, std::chrono::system_clock::time_point now);

} // namespace onbehalf::cache::sealed_entry
