#include "onbehalf/core/sealing.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>

namespace onbehalf {

namespace {

constexpr std::size_t key_bytes = 32;
constexpr std::size_t nonce_bytes = 12;
constexpr std::size_t tag_bytes = 16;

using cipher_context = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// The key id is authenticated with the purpose, so a value cannot be relabelled with another key's
// id: purpose, NUL and key id, put together in a buffer the thread keeps and given to OpenSSL in
// one call (each call costs more than the bytes do; a cache entry's purpose is its long key).
bool add_associated_data(EVP_CIPHER_CTX* ctx, std::string_view purpose, std::string_view key_id) {
  thread_local std::string data;
  data.assign(purpose).push_back('\0');
  data.append(key_id);
  int ignored = 0;
  return EVP_CipherUpdate(ctx, nullptr, &ignored, bytes(data), static_cast<int>(data.size())) == 1;
}

bool valid_key_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Every key of every ring gets a number no other key in the process has, so a context can tell
// whether it already holds a key by its number alone.
std::atomic<std::uint64_t> next_key_serial{1};

// Every request opens a sealed cookie, so the cipher's set-up matters: given EVP_aes_256_gcm(),
// OpenSSL 3 looks the cipher up in its provider store and builds a new provider context on every
// init. Here the cipher is fetched once, and each thread keeps one context per direction. A
// context remembers which key it holds, whose schedule is only expanded again when another key
// comes: a new nonce alone starts a new message.
EVP_CIPHER_CTX* aes_gcm_context(bool encrypt, std::uint64_t key_serial, std::string_view key, std::string_view nonce) {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  struct keyed_context {
    cipher_context ctx{EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free};
    std::uint64_t key_serial = 0; // none
    explicit keyed_context(bool encrypt) {
      if (!cipher || !ctx || EVP_CipherInit_ex2(ctx.get(), cipher, nullptr, nullptr, encrypt ? 1 : 0, nullptr) != 1)
        throw std::runtime_error("OpenSSL has no AES-256-GCM");
    }
  };
  thread_local keyed_context encrypting(true), decrypting(false);
  auto& k = encrypt ? encrypting : decrypting;
  bool same_key = k.key_serial == key_serial;
  if (EVP_CipherInit_ex2(k.ctx.get(), nullptr, same_key ? nullptr : bytes(key), bytes(nonce), encrypt ? 1 : 0, nullptr) != 1) {
    k.key_serial = 0;
    throw std::runtime_error("OpenSSL could not key AES-256-GCM");
  }
  k.key_serial = key_serial;
  return k.ctx.get();
}

} // namespace

struct key_ring::state {
  std::vector<sealing_key> keys;
  std::vector<std::uint64_t> serials; // one per key, in the same order
  std::optional<std::size_t> find(std::string_view id) const {
    auto it = std::find_if(keys.begin(), keys.end(), [&](const sealing_key& k) { return k.id == id; });
    if (it == keys.end()) return std::nullopt;
    return static_cast<std::size_t>(it - keys.begin());
  }
};

std::string_view to_string(unseal_error e) {
  switch (e) {
  case unseal_error::malformed: return "malformed";
  case unseal_error::unknown_key: return "unknown_key";
  case unseal_error::tampered: return "tampered";
  }
  return "unknown";
}

result<key_ring, std::string> key_ring::make(std::vector<sealing_key> keys) {
  if (keys.empty()) return failure{std::string("a key ring needs at least one key")};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!valid_key_id(keys[i].id)) return failure{"key id '" + keys[i].id + "' may only hold letters, digits, '-' and '_'"};
    if (keys[i].key.reveal().size() != key_bytes) return failure{"key '" + keys[i].id + "' must be 32 bytes"};
    for (std::size_t j = 0; j < i; ++j)
      if (keys[j].id == keys[i].id) return failure{"key id '" + keys[i].id + "' is used twice"};
  }
  key_ring ring;
  auto s = std::make_shared<state>();
  s->keys = std::move(keys);
  for (std::size_t i = 0; i < s->keys.size(); ++i) s->serials.push_back(next_key_serial.fetch_add(1));
  ring.state_ = std::move(s);
  return ring;
}

const std::string& key_ring::current_key_id() const noexcept { return state_->keys.back().id; }

std::string key_ring::seal(std::string_view plaintext, std::string_view purpose) const {
  const auto& key = state_->keys.back();
  auto nonce = crypto::random_bytes(nonce_bytes);
  std::string out(plaintext.size() + tag_bytes, '\0');
  auto* ctx = aes_gcm_context(true, state_->serials.back(), key.key.reveal(), nonce);
  int length = 0, final_length = 0;
  bool ok =
      add_associated_data(ctx, purpose, key.id) &&
      EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &length, bytes(plaintext), static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + length, &final_length) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, tag_bytes, out.data() + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("OpenSSL could not encrypt with AES-256-GCM");
  return key.id + "." + base64::encode(nonce, base64::alphabet::url) + "." + base64::encode(out, base64::alphabet::url);
}

result<std::string, unseal_error> key_ring::open(std::string_view sealed, std::string_view purpose) const {
  // key id "." nonce "." body, found in place: every request opens its session cookie.
  auto first_dot = sealed.find('.');
  auto second_dot = first_dot == std::string_view::npos ? first_dot : sealed.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || sealed.find('.', second_dot + 1) != std::string_view::npos) return failure{unseal_error::malformed};
  auto key_id = sealed.substr(0, first_dot);
  auto nonce = base64::decode(sealed.substr(first_dot + 1, second_dot - first_dot - 1), base64::alphabet::url);
  auto body = base64::decode(sealed.substr(second_dot + 1), base64::alphabet::url);
  if (!nonce || !body || nonce->size() != nonce_bytes || body->size() < tag_bytes) return failure{unseal_error::malformed};
  auto index = state_->find(key_id);
  if (!index) return failure{unseal_error::unknown_key};
  const sealing_key* key = &state_->keys[*index];
  // Decrypted in place (GCM allows it): the plaintext takes the ciphertext's bytes, the tag follows them.
  auto ciphertext_size = body->size() - tag_bytes;
  auto* text = reinterpret_cast<unsigned char*>(body->data());
  auto* ctx = aes_gcm_context(false, state_->serials[*index], key->key.reveal(), *nonce);
  int length = 0, final_length = 0;
  bool ok = add_associated_data(ctx, purpose, key->id) && EVP_DecryptUpdate(ctx, text, &length, text, static_cast<int>(ciphertext_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, tag_bytes, text + ciphertext_size) == 1 &&
            EVP_DecryptFinal_ex(ctx, text + length, &final_length) == 1;
  if (!ok) return failure{unseal_error::tampered};
  body->resize(ciphertext_size);
  return std::move(*body);
}

} // namespace onbehalf
