#include "onbehalf/core/crypto.hpp"

#include "onbehalf/core/base64.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace onbehalf::crypto {

namespace {

inline void hide_from_optimiser(std::uint64_t& value) noexcept {
#if defined(__GNUC__)
  __asm__ volatile("" : "+r"(value));
#else
  volatile std::uint64_t kept = value;
  value = kept;
#endif
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) != 1) throw std::runtime_error("OpenSSL digest failed");
  return std::string(reinterpret_cast<char*>(out), length);
}
} // namespace

std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }
std::string sha1(std::string_view data) { return digest(EVP_sha1(), data); }

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1)
    throw std::runtime_error("the system's random number generator is not available");
  return out;
}

std::string random_token(std::size_t byte_count) { return base64::encode(random_bytes(byte_count), base64::alphabet::url); }

// Eight bytes a step (OpenSSL's CRYPTO_memcmp takes one, seven instructions a byte, and a
// session cookie is compared on every request). The difference is looked at once, at the end; the
// empty assembly statement hides it from the optimiser, which could otherwise stop the loop early.
bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  std::uint64_t difference = 0;
  std::size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    difference |= x ^ y;
    hide_from_optimiser(difference);
  }
  for (; i < a.size(); ++i) {
    difference |= static_cast<std::uint64_t>(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
    hide_from_optimiser(difference);
  }
  return difference == 0;
}

} // namespace onbehalf::crypto
