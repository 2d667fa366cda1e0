// Issues signed JWTs for tests, the way an authority would, with claims a test can bend.
#pragma once

#include "onbehalf/identity/jose.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <string>

namespace onbehalf::testing {

class token_factory {
public:
  explicit token_factory(identity::jws_algorithm a = identity::jws_algorithm::rs256, std::string kid = "key-1")
      : key_(identity::signing_key::generate(a)), kid_(std::move(kid)) {}

  /// The JWKS an authority would publish for this factory's key.
  identity::key_set keys() const {
    auto jwks = "{\"keys\":[" + key_.public_part().to_jwk(kid_) + "]}";
    return std::move(*identity::key_set::parse(jwks));
  }

  /// A valid id_token for `audience` with `nonce`, issued now by `issuer`; `change` edits the claims first.
  template <class Change = void (*)(boost::json::object&)>
  std::string id_token(Change change = [](boost::json::object&) {}) const {
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    boost::json::object claims{{"iss", issuer}, {"sub", "user-1"}, {"aud", audience},   {"exp", now + 3600}, {"iat", now},
                               {"nbf", now},    {"nonce", nonce},  {"tid", "tenant-1"}, {"oid", "object-1"}, {"name", "Ada Lovelace"}};
    change(claims);
    return identity::sign_jwt(key_, {{"kid", kid_}}, boost::json::serialize(claims));
  }

  const identity::signing_key& key() const noexcept { return key_; }

  std::string issuer = "https://login.example.com/tenant-1/v2.0";
  std::string audience = "client-1";
  std::string nonce = "nonce-1";

private:
  identity::signing_key key_;
  std::string kid_;
};

/// One RS256 factory per test executable: making an RSA key takes a while.
inline const token_factory& shared_token_factory() {
  static const token_factory f;
  return f;
}

} // namespace onbehalf::testing
