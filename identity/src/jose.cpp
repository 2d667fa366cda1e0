#include "onbehalf/identity/jose.hpp"

#include "onbehalf/core/base64.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <stdexcept>

namespace onbehalf::identity {

namespace {

using pkey_ptr = std::shared_ptr<void>;

EVP_PKEY* pkey(const pkey_ptr& p) { return static_cast<EVP_PKEY*>(p.get()); }
pkey_ptr own(EVP_PKEY* p) {
  return pkey_ptr(p, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
}

std::string b64url(std::string_view bytes) { return base64::encode(bytes, base64::alphabet::url); }

std::optional<std::string> b64url_decode(std::string_view text) { return base64::decode(text, base64::alphabet::url); }

std::string json_string(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

constexpr std::size_t es256_half = 32;

// JWS carries an ECDSA signature as r||s; OpenSSL speaks DER. These convert between the two.
std::optional<std::string> es256_raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * es256_half) return std::nullopt;
  auto* sig = ECDSA_SIG_new();
  auto* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), es256_half, nullptr);
  auto* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + es256_half, es256_half, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

std::string es256_der_to_raw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  auto* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) throw std::runtime_error("OpenSSL produced an unreadable ECDSA signature");
  std::string out(2 * es256_half, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), es256_half);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data()) + es256_half, es256_half);
  ECDSA_SIG_free(sig);
  return out;
}

bool configure_padding(EVP_PKEY_CTX* ctx, jws_algorithm a) {
  if (a != jws_algorithm::ps256) return true;
  return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

std::string bignum_bytes(const BIGNUM* n) {
  std::string out(static_cast<std::size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

result<pkey_ptr, std::string> key_from_params(const char* type, OSSL_PARAM_BLD* builder) {
  auto* params = OSSL_PARAM_BLD_to_param(builder);
  auto* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) return failure{std::string("OpenSSL rejected the key material")};
  return own(key);
}

result<pkey_ptr, std::string> rsa_from_jwk(const json_object& jwk) {
  auto n = jwk.string("n");
  auto e = jwk.string("e");
  if (!n || !e) return failure{std::string("an RSA key needs \"n\" and \"e\"")};
  auto n_bytes = b64url_decode(*n);
  auto e_bytes = b64url_decode(*e);
  if (!n_bytes || !e_bytes || n_bytes->empty() || e_bytes->empty()) return failure{std::string("\"n\" or \"e\" is not base64url")};
  auto* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes->data()), static_cast<int>(n_bytes->size()), nullptr);
  auto* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes->data()), static_cast<int>(e_bytes->size()), nullptr);
  // An exponent of 1 makes every message its own signature, and an even one (0 included) is no
  // RSA key at all; OpenSSL takes both from parameters without a word.
  bool usable_exponent = BN_is_odd(bn_e) && !BN_is_one(bn_e);
  auto* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, bn_n);
  OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, bn_e);
  auto key = key_from_params("RSA", builder);
  OSSL_PARAM_BLD_free(builder);
  BN_free(bn_n);
  BN_free(bn_e);
  if (!usable_exponent) return failure{std::string("the RSA exponent \"e\" must be odd and greater than 1")};
  if (key && EVP_PKEY_get_bits(pkey(*key)) < 2048) return failure{std::string("RSA keys shorter than 2048 bits are refused")};
  return key;
}

result<pkey_ptr, std::string> ec_from_jwk(const json_object& jwk) {
  if (jwk.string("crv") != "P-256") return failure{"curve \"" + jwk.string("crv").value_or("") + "\" is not supported (only P-256)"};
  auto x = jwk.string("x");
  auto y = jwk.string("y");
  auto x_bytes = x ? b64url_decode(*x) : std::nullopt;
  auto y_bytes = y ? b64url_decode(*y) : std::nullopt;
  if (!x_bytes || !y_bytes || x_bytes->size() != es256_half || y_bytes->size() != es256_half)
    return failure{std::string("\"x\" and \"y\" must be 32 bytes of base64url each")};
  std::string point = "\x04" + *x_bytes + *y_bytes;
  auto* builder = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  auto key = key_from_params("EC", builder);
  OSSL_PARAM_BLD_free(builder);
  if (!key) return failure{std::string("the point (x, y) is not on the P-256 curve")};
  return key;
}

} // namespace

std::optional<jws_algorithm> parse_jws_algorithm(std::string_view name) {
  if (name == "RS256") return jws_algorithm::rs256;
  if (name == "PS256") return jws_algorithm::ps256;
  if (name == "ES256") return jws_algorithm::es256;
  return std::nullopt;
}

std::string_view to_string(jws_algorithm a) {
  switch (a) {
  case jws_algorithm::rs256: return "RS256";
  case jws_algorithm::ps256: return "PS256";
  case jws_algorithm::es256: return "ES256";
  }
  return "?";
}

result<public_key, std::string> public_key::from_jwk(const json_object& jwk) {
  auto kty = jwk.string("kty");
  if (auto use = jwk.string("use"); use && *use != "sig") return failure{"the key is for \"" + *use + "\", not signatures"};
  public_key k;
  k.key_id_ = jwk.string("kid").value_or("");
  if (auto alg = jwk.string("alg")) {
    k.only_ = parse_jws_algorithm(*alg);
    if (!k.only_) return failure{"algorithm \"" + *alg + "\" is not supported"};
  }
  result<pkey_ptr, std::string> key = failure{std::string()};
  if (kty == "RSA") {
    key = rsa_from_jwk(jwk);
  } else if (kty == "EC") {
    k.rsa_ = false;
    key = ec_from_jwk(jwk);
  } else {
    return failure{"key type \"" + kty.value_or("") + "\" is not supported (RSA and EC are)"};
  }
  if (!key) return failure{key.error()};
  if (k.only_ && !k.accepts(*k.only_)) return failure{"algorithm " + std::string(to_string(*k.only_)) + " does not fit key type " + *kty};
  k.key_ = std::move(*key);
  return k;
}

result<public_key, std::string> public_key::from_evp(void* evp_pkey) {
  auto* key = static_cast<EVP_PKEY*>(evp_pkey);
  public_key k;
  k.key_ = own(key);
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < 2048) return failure{std::string("RSA keys shorter than 2048 bits are refused")};
  } else if (EVP_PKEY_is_a(key, "EC")) {
    k.rsa_ = false;
  } else {
    return failure{std::string("only RSA and EC P-256 keys are supported")};
  }
  return k;
}

bool public_key::accepts(jws_algorithm a) const noexcept {
  if (only_ && *only_ != a) return false;
  return rsa_ ? a != jws_algorithm::es256 : a == jws_algorithm::es256;
}

bool public_key::verify(jws_algorithm a, std::string_view signing_input, std::string_view signature) const {
  if (!key_ || !accepts(a)) return false;
  std::string der;
  if (a == jws_algorithm::es256) {
    auto converted = es256_raw_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  auto* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, pkey(key_)) == 1 && configure_padding(pctx, a) &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string public_key::to_jwk(std::string_view key_id) const {
  std::string members = "{\"kid\":" + json_string(key_id) + ",\"use\":\"sig\"";
  if (rsa_) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(pkey(key_), OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey(key_), OSSL_PKEY_PARAM_RSA_E, &e);
    members += ",\"kty\":\"RSA\",\"alg\":\"" + std::string(to_string(only_.value_or(jws_algorithm::rs256))) + "\",\"n\":\"" +
               b64url(bignum_bytes(n)) + "\",\"e\":\"" + b64url(bignum_bytes(e)) + "\"}";
    BN_free(n);
    BN_free(e);
    return members;
  }
  unsigned char point[65];
  std::size_t length = 0;
  EVP_PKEY_get_octet_string_param(pkey(key_), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length);
  std::string_view p(reinterpret_cast<char*>(point), length);
  return members + ",\"kty\":\"EC\",\"alg\":\"ES256\",\"crv\":\"P-256\",\"x\":\"" + b64url(p.substr(1, es256_half)) + "\",\"y\":\"" +
         b64url(p.substr(1 + es256_half, es256_half)) + "\"}";
}

result<key_set, std::string> key_set::parse(std::string_view jwks_json) {
  auto doc = json_object::parse(jwks_json);
  if (!doc) return failure{"the JWKS " + doc.error()};
  auto entries = doc->objects("keys");
  if (!entries) return failure{std::string("the JWKS has no \"keys\" array of objects")};
  key_set set;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    auto key = public_key::from_jwk((*entries)[i]);
    if (key) {
      set.keys_.push_back(std::move(*key));
    } else {
      set.skipped_.push_back("key " + std::to_string(i) + " (kid \"" + (*entries)[i].string("kid").value_or("") + "\"): " + key.error());
    }
  }
  return set;
}

const public_key* key_set::find(std::string_view key_id) const noexcept {
  auto it = std::find_if(keys_.begin(), keys_.end(), [&](const public_key& k) { return k.key_id() == key_id; });
  return it == keys_.end() ? nullptr : &*it;
}

result<signing_key, std::string> signing_key::from_pem(std::string_view pem, const secret& password) {
  auto* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  auto* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, const_cast<char*>(password.empty() ? "" : password.reveal().c_str()));
  BIO_free(bio);
  if (!key) return failure{std::string("no readable private key in the PEM text (wrong password?)")};
  return from_evp(key);
}

result<signing_key, std::string> signing_key::from_evp(void* evp_pkey) {
  auto* key = static_cast<EVP_PKEY*>(evp_pkey);
  signing_key k;
  k.key_ = own(key);
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < 2048) return failure{std::string("RSA keys shorter than 2048 bits are refused")};
    k.algorithm_ = jws_algorithm::rs256;
  } else if (EVP_PKEY_is_a(key, "EC")) {
    char group[32] = {};
    std::size_t length = 0;
    EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length);
    if (std::string_view(group) != "prime256v1") return failure{"EC curve " + std::string(group) + " is not supported (only P-256)"};
    k.algorithm_ = jws_algorithm::es256;
  } else {
    return failure{std::string("only RSA and EC P-256 private keys are supported")};
  }
  return k;
}

signing_key signing_key::generate(jws_algorithm a) {
  EVP_PKEY* key = a == jws_algorithm::es256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  if (!key) throw std::runtime_error("OpenSSL could not generate a key");
  auto k = from_evp(key);
  if (a == jws_algorithm::ps256) k->use_pss();
  return std::move(*k);
}

void signing_key::use_pss() noexcept {
  if (algorithm_ == jws_algorithm::rs256) algorithm_ = jws_algorithm::ps256;
}

std::string signing_key::sign(std::string_view signing_input) const {
  auto* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  std::size_t length = 0;
  std::string out;
  bool ok = EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, pkey(key_)) == 1 && configure_padding(pctx, algorithm_) &&
            EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  if (ok) {
    out.resize(length);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &length, reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    out.resize(length);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("OpenSSL could not sign");
  return algorithm_ == jws_algorithm::es256 ? es256_der_to_raw(out) : out;
}

public_key signing_key::public_part() const {
  public_key k;
  k.key_ = key_;
  k.rsa_ = algorithm_ != jws_algorithm::es256;
  k.only_ = algorithm_;
  return k;
}

result<jwt, jwt_error> parse_jwt(std::string_view compact, std::size_t max_bytes) {
  auto malformed = [](std::string message) { return failure{jwt_error{jwt_problem::malformed, std::move(message)}}; };
  if (compact.size() > max_bytes)
    return failure{jwt_error{jwt_problem::too_large,
                             "the token is " + std::to_string(compact.size()) + " bytes; at most " + std::to_string(max_bytes) + " are accepted"}};
  auto first = compact.find('.');
  auto second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos)
    return malformed("a signed JWT has exactly three parts separated by dots");
  auto header_text = b64url_decode(compact.substr(0, first));
  auto payload_text = b64url_decode(compact.substr(first + 1, second - first - 1));
  auto signature = b64url_decode(compact.substr(second + 1));
  if (!header_text || !payload_text || !signature) return malformed("a part of the token is not base64url");
  auto header = json_object::parse(*header_text);
  if (!header) return malformed("the token header: " + header.error());
  auto alg = header->string("alg");
  if (!alg) return malformed("the token header has no \"alg\"");
  if (*alg == "none") return failure{jwt_error{jwt_problem::alg_none, "unsigned tokens (alg \"none\") are refused"}};
  auto algorithm = parse_jws_algorithm(*alg);
  if (!algorithm)
    return failure{jwt_error{jwt_problem::unsupported_algorithm, "algorithm \"" + *alg + "\" is refused (RS256, PS256 and ES256 are accepted)"}};
  if (header->has("crit")) {
    // No header extension is understood here, so any critical one must be refused (RFC 7515 section 4.1.11).
    return failure{jwt_error{jwt_problem::unknown_critical_header, "the token marks header parameters as critical that are not understood"}};
  }
  auto claims = json_object::parse(*payload_text);
  if (!claims) return malformed("the token payload: " + claims.error());
  jwt t{*algorithm,         header->string("kid").value_or(""),     std::move(*header),
        std::move(*claims), std::string(compact.substr(0, second)), std::move(*signature)};
  return t;
}

std::string sign_jwt(const signing_key& key, const std::vector<std::pair<std::string, std::string>>& header_fields, std::string_view claims_json) {
  std::string header = "{\"alg\":\"" + std::string(to_string(key.algorithm())) + "\",\"typ\":\"JWT\"";
  for (const auto& [name, value] : header_fields) header += "," + json_string(name) + ":" + json_string(value);
  header += "}";
  auto signing_input = b64url(header) + "." + b64url(claims_json);
  return signing_input + "." + b64url(key.sign(signing_input));
}

} // namespace onbehalf::identity
