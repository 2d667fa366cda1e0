#include "sealed_entry.hpp"

namespace onbehalf::cache::sealed_entry {

namespace {

std::string encode_expiry(long long seconds) {
  std::string out(expiry_bytes, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(seconds & 0xFF);
    seconds >>= 8;
  }
  return out;
}

long long decode_expiry(std::string_view bytes) {
  long long seconds = 0;
  for (std::size_t i = 0; i < expiry_bytes; ++i) seconds = (seconds << 8) | static_cast<unsigned char>(bytes[i]);
  return seconds;
}

// The key is the purpose of the seal.
std::string purpose_for(std::string_view key) { return "onbehalf.cache:" + std::string(key); }

} // namespace

long long seconds_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::optional<long long> expiry_of(std::string_view stored) {
  if (stored.size() < expiry_bytes) return std::nullopt;
  return decode_expiry(stored);
}

std::string make(const key_ring& keys, std::string_view key, std::string_view value, std::chrono::system_clock::time_point expires) {
  auto expiry = encode_expiry(seconds_of(expires));
  return expiry + keys.seal(expiry + std::string(value), purpose_for(key));
}

opened open(const key_ring& keys, std::string_view key, std::string_view stored, std::chrono::system_clock::time_point now) {
  if (stored.size() < expiry_bytes) return {outcome::unreadable, {}};
  auto plain = keys.open(stored.substr(expiry_bytes), purpose_for(key));
  if (!plain || plain->size() < expiry_bytes) return {outcome::unreadable, {}};
  if (decode_expiry(*plain) <= seconds_of(now)) return {outcome::expired, {}};
  return {outcome::value, plain->substr(expiry_bytes)};
}

} // namespace onbehalf::cache::sealed_entry
