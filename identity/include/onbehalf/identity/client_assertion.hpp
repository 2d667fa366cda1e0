// Client authentication with a certificate (private_key_jwt, RFC 7523): loading the certificate
// and signing the short-lived assertion the token endpoint accepts in place of a secret.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"
#include "onbehalf/identity/jose.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace onbehalf::identity {

class client_certificate {
public:
  /// A PEM file holding the certificate and its private key, or a PKCS#12 file (.pfx, .p12);
  /// the format is recognised from the content.
  static result<client_certificate, std::string> from_file(const std::string& path, const secret& password = {});
  /// PEM text or PKCS#12 bytes, recognised from the content.
  static result<client_certificate, std::string> from_bytes(std::string_view bytes, const secret& password = {});
  /// PKCS#12 bytes in base64 (SourceType Base64Encoded).
  static result<client_certificate, std::string> from_base64_pkcs12(std::string_view base64_text, const secret& password = {});
  static result<client_certificate, std::string> from_pem(std::string_view pem, const secret& password = {});
  static result<client_certificate, std::string> from_pkcs12(std::string_view der, const secret& password = {});

  const signing_key& key() const noexcept { return key_; }
  /// base64url SHA-1 of the DER certificate, the JWS "x5t" header.
  const std::string& thumbprint_sha1() const noexcept { return x5t_; }
  /// base64url SHA-256 of the DER certificate, the JWS "x5t#S256" header.
  const std::string& thumbprint_sha256() const noexcept { return x5t_s256_; }

private:
  static result<client_certificate, std::string> from_parts(void* x509, void* evp_pkey);
  signing_key key_;
  std::string x5t_;
  std::string x5t_s256_;
};

/// A certificate an authority trusts for an app's client assertions: its public key and thumbprint.
struct trusted_certificate {
  public_key key;
  std::string thumbprint_sha256; // base64url, as in the assertion's x5t#S256 header

  /// Reads the first certificate in PEM text.
  static result<trusted_certificate, std::string> from_pem(std::string_view pem);
};

/// At most this long, as Entra ID requires.
inline constexpr std::chrono::seconds max_assertion_lifetime{600};

/// A signed assertion: aud = token endpoint, iss = sub = client id, a unique jti, nbf = iat = now,
/// exp = now + lifetime (capped at ten minutes); header x5t and x5t#S256.
std::string make_client_assertion(const client_certificate& certificate, std::string_view client_id, std::string_view token_endpoint,
                                  std::chrono::system_clock::time_point now, std::chrono::seconds lifetime = max_assertion_lifetime);

} // namespace onbehalf::identity
