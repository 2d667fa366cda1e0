// What the fuzz targets share: the libFuzzer entry point's declaration, a check that stops the
// run (NDEBUG builds drop assert, and a property that fails must fail every build), and the
// splitting of one input into the several values a parser is given.
#pragma once

#include "onbehalf/core/sealing.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace onbehalf::fuzz {

/// Aborts, naming the property, when it does not hold: libFuzzer then keeps the input.
#define FUZZ_REQUIRE(condition)                                                                                                                      \
  do {                                                                                                                                               \
    if (!(condition)) {                                                                                                                              \
      std::fprintf(stderr, "%s:%d: property does not hold: %s\n", __FILE__, __LINE__, #condition);                                                   \
      std::abort();                                                                                                                                  \
    }                                                                                                                                                \
  } while (false)

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) { return {reinterpret_cast<const char*>(data), size}; }

/// One input read as several values separated by NUL bytes; the last takes the rest (NULs
/// included), and a value missing at the end is empty. Seeds stay readable text but for the NULs.
class parts {
public:
  explicit parts(std::string_view input) : rest_(input) {}
  std::string_view next() {
    auto nul = rest_.find('\0');
    auto part = rest_.substr(0, nul);
    rest_ = nul == std::string_view::npos ? std::string_view{} : rest_.substr(nul + 1);
    return part;
  }
  std::string_view rest() const { return rest_; }
  /// One byte as a small number (a selector, a flag); 0 when the input is used up.
  unsigned byte() {
    if (rest_.empty()) return 0;
    auto b = static_cast<unsigned char>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

private:
  std::string_view rest_;
};

/// A fixed instant, so that a seed which is valid today stays valid: 2026-01-01T00:00:00Z.
inline std::chrono::system_clock::time_point fixed_now() { return std::chrono::system_clock::time_point(std::chrono::seconds(1'767'225'600)); }

/// A ring of two fixed keys (the older opens, the newer seals), as a server with a rotated key has.
inline const key_ring& fixed_keys() {
  static const key_ring ring = *key_ring::make({{"old", secret(std::string(32, 'o'))}, {"new", secret(std::string(32, 'n'))}});
  return ring;
}

} // namespace onbehalf::fuzz
