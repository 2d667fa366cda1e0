// Identifiers that only need to be unique, not secret: correlation ids, trace and span ids.
// Private to http/.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace onbehalf::http::detail {

// A per-thread generator avoids a lock. SplitMix64 (a counter through a strong mixer) from a
// random start: a few instructions a call, where the Mersenne twister regenerates its 2.5 KB
// state every 312 calls.
inline std::uint64_t next_random() {
  thread_local std::uint64_t state = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// `digits` lowercase hex digits (a multiple of 16).
inline std::string random_hex(std::size_t digits) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(digits, '0');
  auto* out = id.data();
  for (std::size_t word = 0; word < digits / 16; ++word) {
    auto bits = next_random();
    for (int i = 0; i < 8; ++i, bits >>= 8) { // a byte, two digits, a step
      *out++ = hex[(bits >> 4) & 15];
      *out++ = hex[bits & 15];
    }
  }
  return id;
}

} // namespace onbehalf::http::detail
