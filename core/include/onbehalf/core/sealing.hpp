// Authenticated encryption (AES-256-GCM) under a ring of named keys: the newest key seals, every
// key in the ring opens, so keys rotate without losing what older keys sealed. Used for cookies
// and for token cache entries at rest.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf {

struct sealing_key {
  std::string id; // letters, digits, '-' and '_': it travels in cookies
  secret key;     // 32 random bytes
};

enum class unseal_error {
  malformed,   // not something seal() produced
  unknown_key, // sealed with a key that is no longer (or not yet) in the ring
  tampered,    // changed, truncated, or sealed for another purpose
};

std::string_view to_string(unseal_error e);

class key_ring {
public:
  /// Keys in order of age, newest last. Fails for no keys, a key that is not 32 bytes, or a bad or repeated id.
  static result<key_ring, std::string> make(std::vector<sealing_key> keys);

  /// "{key id}.{nonce}.{ciphertext and tag}", base64url parts. `purpose` is authenticated but not
  /// stored: what was sealed for one purpose (a session) cannot be opened as another (a sign-in).
  std::string seal(std::string_view plaintext, std::string_view purpose) const;
  result<std::string, unseal_error> open(std::string_view sealed, std::string_view purpose) const;

  const std::string& current_key_id() const noexcept;

private:
  struct state;
  std::shared_ptr<const state> state_;
};

} // namespace onbehalf
