#include "onbehalf/identity/id_token.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"

#include <algorithm>

namespace onbehalf::identity {

namespace {

failure<token_error> reject(token_rejection r, std::string message) { return failure{token_error{r, std::move(message)}}; }

std::string expected_issuer(const std::string& issuer, const json_object& claims) {
  constexpr std::string_view placeholder = "{tenantid}";
  auto at = issuer.find(placeholder);
  if (at == std::string::npos) return issuer;
  auto tid = claims.string("tid");
  if (!tid) return {};
  return issuer.substr(0, at) + *tid + issuer.substr(at + placeholder.size());
}

} // namespace

std::string_view to_string(token_rejection r) {
  switch (r) {
  case token_rejection::malformed: return "malformed";
  case token_rejection::unsupported_algorithm: return "unsupported_algorithm";
  case token_rejection::unknown_key: return "unknown_key";
  case token_rejection::bad_signature: return "bad_signature";
  case token_rejection::wrong_issuer: return "wrong_issuer";
  case token_rejection::wrong_audience: return "wrong_audience";
  case token_rejection::wrong_authorized_party: return "wrong_authorized_party";
  case token_rejection::expired: return "expired";
  case token_rejection::not_yet_valid: return "not_yet_valid";
  case token_rejection::issued_in_future: return "issued_in_future";
  case token_rejection::missing_claim: return "missing_claim";
  case token_rejection::wrong_nonce: return "wrong_nonce";
  }
  return "unknown";
}

result<json_object, token_error> validate_id_token(std::string_view token, const key_set& keys, const id_token_rules& rules) {
  auto parsed = parse_jwt(token);
  if (!parsed) {
    auto problem = parsed.error().problem;
    bool algorithm = problem == jwt_problem::alg_none || problem == jwt_problem::unsupported_algorithm;
    return reject(algorithm ? token_rejection::unsupported_algorithm : token_rejection::malformed, parsed.error().message);
  }
  const auto& t = *parsed;

  const public_key* key = t.key_id.empty() ? nullptr : keys.find(t.key_id);
  if (!key && t.key_id.empty() && keys.keys().size() == 1) key = &keys.keys().front(); // a provider with one key may omit kid
  if (!key) return reject(token_rejection::unknown_key, "no key with id \"" + t.key_id + "\" in the authority's JWKS");
  if (!key->accepts(t.algorithm))
    return reject(token_rejection::unsupported_algorithm, "key \"" + t.key_id + "\" does not sign with " + std::string(to_string(t.algorithm)));
  if (!key->verify(t.algorithm, t.signing_input, t.signature)) return reject(token_rejection::bad_signature, "the signature does not verify");

  const auto& c = t.claims;
  for (std::string_view required : {"iss", "sub", "aud", "exp", "iat"})
    if (!c.has(required)) return reject(token_rejection::missing_claim, "the token has no \"" + std::string(required) + "\" claim");

  auto issuer = expected_issuer(rules.issuer, c);
  if (issuer.empty() || c.string("iss") != issuer)
    return reject(token_rejection::wrong_issuer, "issued by \"" + c.string("iss").value_or("") + "\", expected \"" + (issuer.empty() ? rules.issuer : issuer) + "\"");

  auto audiences = c.strings("aud");
  if (!audiences || std::find(audiences->begin(), audiences->end(), rules.audience) == audiences->end())
    return reject(token_rejection::wrong_audience, "the token is not for client \"" + rules.audience + "\"");
  // OpenID Connect Core 3.1.3.7: with several audiences azp is required; whenever present it must be this client.
  if (auto azp = c.string("azp"); (audiences->size() > 1 || azp) && azp != rules.audience)
    return reject(token_rejection::wrong_authorized_party, "the token's authorized party (azp) is not client \"" + rules.audience + "\"");

  auto now = std::chrono::duration_cast<std::chrono::seconds>(rules.now.time_since_epoch()).count();
  auto skew = rules.clock_skew.count();
  auto exp = c.integer("exp");
  auto iat = c.integer("iat");
  if (!exp || !iat) return reject(token_rejection::malformed, "\"exp\" and \"iat\" must be numbers");
  if (now - skew >= *exp) return reject(token_rejection::expired, "the token expired at " + std::to_string(*exp));
  if (auto nbf = c.integer("nbf"); nbf && now + skew < *nbf)
    return reject(token_rejection::not_yet_valid, "the token is not valid before " + std::to_string(*nbf));
  if (now + skew < *iat) return reject(token_rejection::issued_in_future, "the token claims to be issued in the future");

  auto nonce = c.string("nonce");
  if (!nonce) return reject(token_rejection::wrong_nonce, "the token has no nonce; it was not issued for this sign-in");
  if (rules.nonce.empty() || !crypto::constant_time_equals(*nonce, rules.nonce))
    return reject(token_rejection::wrong_nonce, "the token's nonce does not match this sign-in");
  return c;
}

std::string home_account_id(const json_object& claims) {
  auto oid = claims.string("oid");
  auto tid = claims.string("tid");
  if (oid && tid && !oid->empty() && !tid->empty()) return *oid + "." + *tid;
  auto sub = claims.string("sub");
  if (!sub || sub->empty()) return {};
  auto issuer_hash = base64::encode(crypto::sha256(claims.string("iss").value_or("")), base64::alphabet::url).substr(0, 16);
  return *sub + "." + issuer_hash;
}

std::vector<std::pair<std::string, std::string>> flatten_claims(const json_object& claims) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& key : claims.keys()) {
    if (auto text = claims.string(key)) {
      out.emplace_back(key, std::move(*text));
    } else if (auto list = claims.strings(key)) {
      for (auto& v : *list) out.emplace_back(key, std::move(v));
    } else if (auto raw = claims.raw(key)) {
      out.emplace_back(key, std::move(*raw));
    }
  }
  return out;
}

} // namespace onbehalf::identity
