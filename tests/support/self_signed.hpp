// Fresh self-signed certificates for tests: PEM files for TLS, PEM bundles and PKCS#12 for client credentials.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace onbehalf::testing {

struct pem_files {
  std::string certificate_path;
  std::string key_path;
};

struct self_signed {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> certificate{nullptr, X509_free};

  /// RSA-2048 when `rsa`, else EC P-256; CN=127.0.0.1, valid for an hour, for the names in `alt_names`.
  explicit self_signed(bool rsa = false, const std::string& alt_names = "IP:127.0.0.1,DNS:localhost") {
    key.reset(rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
    certificate.reset(X509_new());
    auto* cert = certificate.get();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key.get());
    auto* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    if (auto* san = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, alt_names.c_str())) {
      X509_add_ext(cert, san, -1);
      X509_EXTENSION_free(san);
    }
    X509_sign(cert, key.get(), EVP_sha256());
  }

  std::string der() const {
    unsigned char* out = nullptr;
    int length = i2d_X509(certificate.get(), &out);
    std::string bytes(reinterpret_cast<char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
    return bytes;
  }

  /// Writes the certificate, then the key, as PEM; both into one file when the paths are equal.
  void write_pem(const std::string& certificate_path, const std::string& key_path) const {
    FILE* out = std::fopen(certificate_path.c_str(), "w");
    if (!out) throw std::runtime_error("cannot write " + certificate_path);
    PEM_write_X509(out, certificate.get());
    if (key_path == certificate_path) PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
    if (key_path == certificate_path) return;
    out = std::fopen(key_path.c_str(), "w");
    PEM_write_PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
  }

  /// The certificate and key as a PKCS#12 bundle (the bytes of a .pfx file).
  std::string pkcs12(const std::string& password) const {
    PKCS12* bundle = PKCS12_create(password.c_str(), "client", key.get(), certificate.get(), nullptr, 0, 0, 0, 0, 0);
    unsigned char* out = nullptr;
    int length = i2d_PKCS12(bundle, &out);
    std::string bytes(reinterpret_cast<char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
    PKCS12_free(bundle);
    return bytes;
  }
};

inline pem_files write_self_signed_certificate(const std::string& directory) {
  pem_files files{directory + "/cert.pem", directory + "/key.pem"};
  self_signed().write_pem(files.certificate_path, files.key_path);
  return files;
}

} // namespace onbehalf::testing
