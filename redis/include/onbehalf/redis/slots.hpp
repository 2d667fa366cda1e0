// Redis Cluster's key space: 16,384 hash slots. A key's slot is CRC16 of its hash tag (the text
// between the first '{' and the next '}', when not empty) or of the whole key, so keys that
// share a tag share a slot, a node, and can meet in one script or transaction.
#pragma once

#include <cstdint>
#include <string_view>

namespace onbehalf::redis {

inline constexpr std::uint16_t slot_count = 16384;

/// CRC16-XMODEM (polynomial 0x1021, initial 0), as Redis Cluster uses it.
std::uint16_t crc16(std::string_view data) noexcept;
std::uint16_t slot_of(std::string_view key) noexcept;

} // namespace onbehalf::redis
