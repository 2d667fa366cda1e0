// Hashes and randomness from OpenSSL, for the protocol code (PKCE, thumbprints, state) and caches.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace onbehalf::crypto {

std::string sha256(std::string_view data); // 32 raw bytes
std::string sha1(std::string_view data);   // 20 raw bytes; only for certificate thumbprints (x5t)

/// Bytes from the operating system's CSPRNG; throws std::runtime_error if it is unavailable,
/// because no security decision may continue without randomness.
std::string random_bytes(std::size_t count);

/// `byte_count` random bytes as base64url text: state, nonce, PKCE verifiers, jti.
std::string random_token(std::size_t byte_count = 32);

/// Compares without leaking where the first difference is.
bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

} // namespace onbehalf::crypto
