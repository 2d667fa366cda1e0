// A test certificate authority made when a test runs, with what a TLS Redis and its clients
// need as PEM files: the CA, a server certificate for 127.0.0.1, a client certificate, and an
// unrelated CA (with a client certificate of its own) for the cases that must be refused.
#pragma once

#include "temp_dir.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace onbehalf::testing {

namespace tls_detail {

using key_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using certificate_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

struct issued {
  key_ptr key{nullptr, EVP_PKEY_free};
  certificate_ptr certificate{nullptr, X509_free};
};

/// A fresh EC P-256 key and a certificate for it, signed by `issuer` (self-signed when null),
/// with the X.509v3 extensions given as (NID, OpenSSL config text) pairs.
inline issued issue(const std::string& common_name, const issued* issuer, long serial, const std::vector<std::pair<int, std::string>>& extensions) {
  issued out;
  out.key.reset(EVP_EC_gen("P-256"));
  out.certificate.reset(X509_new());
  auto* cert = out.certificate.get();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  // A little before now, so a clock a second behind does not make it "not yet valid".
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, out.key.get());
  auto* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
  X509* issuer_certificate = issuer ? issuer->certificate.get() : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_certificate));
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer_certificate, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    auto* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    if (!extension) throw std::runtime_error("bad certificate extension: " + value);
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }
  X509_sign(cert, issuer ? issuer->key.get() : out.key.get(), EVP_sha256());
  return out;
}

inline issued certificate_authority(const std::string& common_name) {
  return issue(common_name, nullptr, 1,
               {{NID_basic_constraints, "critical,CA:TRUE"}, {NID_key_usage, "critical,keyCertSign,cRLSign"}, {NID_subject_key_identifier, "hash"}});
}

inline issued leaf(const std::string& common_name, const issued& ca, long serial, const std::string& purpose, const std::string& alt_names = "") {
  std::vector<std::pair<int, std::string>> extensions{{NID_basic_constraints, "CA:FALSE"},
                                                      {NID_key_usage, "critical,digitalSignature"},
                                                      {NID_ext_key_usage, purpose},
                                                      {NID_authority_key_identifier, "keyid:always"}};
  if (!alt_names.empty()) extensions.emplace_back(NID_subject_alt_name, alt_names);
  return issue(common_name, &ca, serial, extensions);
}

inline void write_pem(const std::string& path, X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new_file(path.c_str(), "w"), BIO_free);
  if (!out || !PEM_write_bio_X509(out.get(), certificate)) throw std::runtime_error("cannot write " + path);
}

inline void write_pem(const std::string& path, EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new_file(path.c_str(), "w"), BIO_free);
  if (!out || !PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) throw std::runtime_error("cannot write " + path);
}

} // namespace tls_detail

/// PEM files in a directory of their own, removed when this goes. Not copyable: servers that
/// should share one CA share a `std::shared_ptr<redis_tls_files>`.
class redis_tls_files {
  temp_dir dir_; // first: the paths below are in it

public:
  std::string ca = dir_.path("ca.pem");
  std::string server_certificate = dir_.path("server.pem"); // for IP:127.0.0.1 and DNS:localhost
  std::string server_key = dir_.path("server-key.pem");
  std::string client_certificate = dir_.path("client.pem"); // signed by `ca`
  std::string client_key = dir_.path("client-key.pem");
  std::string other_ca = dir_.path("other-ca.pem");                     // a CA that signed nothing the server uses
  std::string other_client_certificate = dir_.path("other-client.pem"); // signed by `other_ca`: a client the server must refuse
  std::string other_client_key = dir_.path("other-client-key.pem");

  redis_tls_files() {
    using namespace tls_detail;
    auto authority = certificate_authority("onbehalf test CA");
    auto server = leaf("127.0.0.1", authority, 2, "serverAuth", "IP:127.0.0.1,DNS:localhost");
    auto client = leaf("onbehalf test client", authority, 3, "clientAuth");
    auto other_authority = certificate_authority("onbehalf other test CA");
    auto other_client = leaf("onbehalf other test client", other_authority, 2, "clientAuth");
    write_pem(ca, authority.certificate.get());
    write_pem(server_certificate, server.certificate.get());
    write_pem(server_key, server.key.get());
    write_pem(client_certificate, client.certificate.get());
    write_pem(client_key, client.key.get());
    write_pem(other_ca, other_authority.certificate.get());
    write_pem(other_client_certificate, other_client.certificate.get());
    write_pem(other_client_key, other_client.key.get());
  }
  redis_tls_files(const redis_tls_files&) = delete;
  redis_tls_files& operator=(const redis_tls_files&) = delete;
};

} // namespace onbehalf::testing
