#include "onbehalf/identity/client_assertion.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace onbehalf::identity {

result<client_certificate, std::string> client_certificate::from_parts(void* x509, void* evp_pkey) {
  auto* cert = static_cast<X509*>(x509);
  auto* key = static_cast<EVP_PKEY*>(evp_pkey);
  if (!cert || !key) {
    X509_free(cert);
    EVP_PKEY_free(key);
    return failure{std::string(!cert ? "no certificate found" : "no private key found next to the certificate")};
  }
  bool matches = X509_check_private_key(cert, key) == 1;
  unsigned char* der = nullptr;
  int length = i2d_X509(cert, &der);
  std::string der_bytes(reinterpret_cast<char*>(der), length > 0 ? static_cast<std::size_t>(length) : 0);
  OPENSSL_free(der);
  X509_free(cert);
  if (!matches) {
    EVP_PKEY_free(key);
    return failure{std::string("the private key does not belong to the certificate")};
  }
  auto signer = signing_key::from_evp(key);
  if (!signer) return failure{signer.error()};
  client_certificate c;
  c.key_ = std::move(*signer);
  c.x5t_ = base64::encode(crypto::sha1(der_bytes), base64::alphabet::url);
  c.x5t_s256_ = base64::encode(crypto::sha256(der_bytes), base64::alphabet::url);
  return c;
}

result<client_certificate, std::string> client_certificate::from_pem(std::string_view pem, const secret& password) {
  auto* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  auto* pass = const_cast<char*>(password.reveal().c_str());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, pass);
  BIO_free(bio);
  return from_parts(cert, key);
}

result<client_certificate, std::string> client_certificate::from_pkcs12(std::string_view der, const secret& password) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  PKCS12* bundle = d2i_PKCS12(nullptr, &p, static_cast<long>(der.size()));
  if (!bundle) return failure{std::string("the data is not a PKCS#12 (.pfx) bundle")};
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  bool opened = PKCS12_parse(bundle, password.reveal().c_str(), &key, &cert, nullptr) == 1;
  PKCS12_free(bundle);
  if (!opened) return failure{std::string("cannot open the PKCS#12 bundle: wrong password (CertificatePassword)?")};
  return from_parts(cert, key);
}

result<client_certificate, std::string> client_certificate::from_base64_pkcs12(std::string_view base64_text, const secret& password) {
  auto der = base64::decode(base64_text);
  if (!der) return failure{std::string("the value is not base64")};
  return from_pkcs12(*der, password);
}

result<client_certificate, std::string> client_certificate::from_bytes(std::string_view bytes, const secret& password) {
  return bytes.find("-----BEGIN") != std::string_view::npos ? from_pem(bytes, password) : from_pkcs12(bytes, password);
}

result<client_certificate, std::string> client_certificate::from_file(const std::string& path, const secret& password) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure{"cannot read the certificate file '" + path + "'"};
  std::ostringstream content;
  content << in.rdbuf();
  auto loaded = from_bytes(content.str(), password);
  if (!loaded) return failure{"certificate '" + path + "': " + loaded.error()};
  return loaded;
}

result<trusted_certificate, std::string> trusted_certificate::from_pem(std::string_view pem) {
  auto* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!cert) return failure{std::string("no certificate in the PEM text")};
  unsigned char* der = nullptr;
  int length = i2d_X509(cert, &der);
  std::string der_bytes(reinterpret_cast<char*>(der), length > 0 ? static_cast<std::size_t>(length) : 0);
  OPENSSL_free(der);
  auto key = public_key::from_evp(X509_get_pubkey(cert));
  X509_free(cert);
  if (!key) return failure{key.error()};
  return trusted_certificate{std::move(*key), base64::encode(crypto::sha256(der_bytes), base64::alphabet::url)};
}

std::string make_client_assertion(const client_certificate& certificate, std::string_view client_id, std::string_view token_endpoint,
                                  std::chrono::system_clock::time_point now, std::chrono::seconds lifetime) {
  auto issued = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  boost::json::object claims;
  claims["aud"] = token_endpoint;
  claims["iss"] = client_id;
  claims["sub"] = client_id;
  claims["jti"] = crypto::random_token(16);
  claims["nbf"] = issued;
  claims["iat"] = issued;
  claims["exp"] = issued + std::min(lifetime, max_assertion_lifetime).count();
  return sign_jwt(certificate.key(), {{"x5t", certificate.thumbprint_sha1()}, {"x5t#S256", certificate.thumbprint_sha256()}},
                  boost::json::serialize(claims));
}

} // namespace onbehalf::identity
