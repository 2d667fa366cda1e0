#include "onbehalf/core/crypto.hpp"

#include "onbehalf/core/base64.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <cstring>
#include <memory>
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

// A web API hashes every request's bearer token. Given EVP_sha256(), OpenSSL 3 looks the digest
// up in its provider store (under a lock) and makes a context on every call: a fifth of the
// time of hashing a kilobyte-long token, and most of what the lock costs when threads contend.
// Each digest is fetched once here, and each thread keeps one context.
std::string digest(const EVP_MD* md, std::string_view data) {
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!md || !ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 || EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out, &length) != 1)
    throw std::runtime_error("OpenSSL digest failed");
  return std::string(reinterpret_cast<char*>(out), length);
}
} // namespace

std::string sha256(std::string_view data) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return digest(md, data);
}
std::string sha1(std::string_view data) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  return digest(md, data);
}

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
