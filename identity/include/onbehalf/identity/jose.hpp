// JSON Web Signatures and Tokens (RFC 7515, 7517, 7519) with OpenSSL EVP: RS256, PS256 and
// ES256 only. "none", HMAC and anything else are refused, whatever the token claims.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"
#include "onbehalf/identity/json_object.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::identity {

enum class jws_algorithm { rs256, ps256, es256 };

std::optional<jws_algorithm> parse_jws_algorithm(std::string_view name);
std::string_view to_string(jws_algorithm a);

/// A key that verifies signatures: from a JWKS entry, or the public half of a signing key.
class public_key {
public:
  /// Accepts RSA keys of at least 2048 bits and EC P-256 keys; the error says why a key is unusable.
  static result<public_key, std::string> from_jwk(const json_object& jwk);

  const std::string& key_id() const noexcept { return key_id_; }
  /// RSA keys verify RS256 and PS256, EC keys ES256; a JWK's "alg" narrows that to one.
  bool accepts(jws_algorithm a) const noexcept;
  bool verify(jws_algorithm a, std::string_view signing_input, std::string_view signature) const;
  /// This key as a JWK object (JSON text), for publishing in a JWKS.
  std::string to_jwk(std::string_view key_id) const;

  /// Wraps an OpenSSL EVP_PKEY* public key (its reference is taken over).
  static result<public_key, std::string> from_evp(void* evp_pkey);

private:
  friend class signing_key;
  std::shared_ptr<void> key_; // EVP_PKEY
  std::string key_id_;
  bool rsa_ = true;
  std::optional<jws_algorithm> only_;
};

/// The keys an authority publishes at its jwks_uri.
class key_set {
public:
  /// Fails only when the document is not a JWKS at all; unusable keys are skipped, with reasons.
  static result<key_set, std::string> parse(std::string_view jwks_json);

  const public_key* find(std::string_view key_id) const noexcept;
  const std::vector<public_key>& keys() const noexcept { return keys_; }
  const std::vector<std::string>& skipped() const noexcept { return skipped_; }
  void add(public_key k) { keys_.push_back(std::move(k)); }

private:
  std::vector<public_key> keys_;
  std::vector<std::string> skipped_;
};

/// A private key that signs: client assertions, and the dev authority's tokens.
class signing_key {
public:
  /// Reads a PEM private key (PKCS#8 or traditional, optionally encrypted with `password`).
  static result<signing_key, std::string> from_pem(std::string_view pem, const secret& password = {});
  /// A fresh RSA-2048 or P-256 key.
  static signing_key generate(jws_algorithm a);
  /// Wraps an OpenSSL EVP_PKEY* (its reference is taken over).
  static result<signing_key, std::string> from_evp(void* evp_pkey);

  jws_algorithm algorithm() const noexcept { return algorithm_; }
  /// Uses PS256 instead of RS256 for an RSA key.
  void use_pss() noexcept;
  std::string sign(std::string_view signing_input) const; // the JWS signature bytes
  public_key public_part() const;

private:
  std::shared_ptr<void> key_;
  jws_algorithm algorithm_ = jws_algorithm::rs256;
};

/// A parsed, not yet verified, compact JWS.
struct jwt {
  jws_algorithm algorithm = jws_algorithm::rs256;
  std::string key_id;
  json_object header;
  json_object claims;
  std::string signing_input; // "header.payload" as received
  std::string signature;     // decoded bytes
};

enum class jwt_problem { too_large, malformed, alg_none, unsupported_algorithm, unknown_critical_header };

struct jwt_error {
  jwt_problem problem;
  std::string message;
};

/// Longer tokens are refused before any decoding: a token is a few kilobytes at most.
inline constexpr std::size_t max_jwt_bytes = 16 * 1024;

result<jwt, jwt_error> parse_jwt(std::string_view compact, std::size_t max_bytes = max_jwt_bytes);

/// Signs `claims_json` (a JSON object) with `key` into a compact JWT. The header gets "alg" and
/// "typ": "JWT" and then `header_fields` (string members such as kid, x5t).
std::string sign_jwt(const signing_key& key, const std::vector<std::pair<std::string, std::string>>& header_fields, std::string_view claims_json);

} // namespace onbehalf::identity
