#include "onbehalf/identity/id_token.hpp"

#include "jwt_checks.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/text.hpp"

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

result<json_object, token_error> verified_claims(std::string_view token, const key_set& keys, std::initializer_list<std::string_view> types) {
  auto parsed = parse_jwt(token);
  if (!parsed) {
    auto problem = parsed.error().problem;
    bool algorithm = problem == jwt_problem::alg_none || problem == jwt_problem::unsupported_algorithm;
    return reject(algorithm ? token_rejection::unsupported_algorithm : token_rejection::malformed, parsed.error().message);
  }
  const auto& t = *parsed;
  if (auto typ = t.header.string("typ");
      typ && types.size() != 0 && std::none_of(types.begin(), types.end(), [&](std::string_view accepted) { return text::iequals(*typ, accepted); }))
    return reject(token_rejection::wrong_type, "the token's type (typ) is \"" + typ->substr(0, 64) + "\", not an access token's");
  const public_key* key = t.key_id.empty() ? nullptr : keys.find(t.key_id);
  if (!key && t.key_id.empty() && keys.keys().size() == 1) key = &keys.keys().front(); // a provider with one key may omit kid
  if (!key) return reject(token_rejection::unknown_key, "no key with id \"" + t.key_id + "\" in the authority's JWKS");
  if (!key->accepts(t.algorithm))
    return reject(token_rejection::unsupported_algorithm, "key \"" + t.key_id + "\" does not sign with " + std::string(to_string(t.algorithm)));
  if (!key->verify(t.algorithm, t.signing_input, t.signature)) return reject(token_rejection::bad_signature, "the signature does not verify");
  return t.claims;
}

std::optional<token_error> check_required(const json_object& c, std::initializer_list<std::string_view> required) {
  for (auto name : required)
    if (!c.has(name)) return token_error{token_rejection::missing_claim, "the token has no \"" + std::string(name) + "\" claim"};
  return std::nullopt;
}

std::optional<token_error> check_issuer(const json_object& c, const std::string& configured) {
  auto issuer = expected_issuer(configured, c);
  if (issuer.empty() || c.string("iss") != issuer)
    return token_error{token_rejection::wrong_issuer,
                       "issued by \"" + c.string("iss").value_or("") + "\", expected \"" + (issuer.empty() ? configured : issuer) + "\""};
  return std::nullopt;
}

std::optional<token_error> check_lifetime(const json_object& c, std::chrono::system_clock::time_point at, std::chrono::seconds clock_skew) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  auto skew = clock_skew.count();
  auto exp = c.integer("exp");
  if (!exp || (c.has("iat") && !c.integer("iat"))) return token_error{token_rejection::malformed, "\"exp\" and \"iat\" must be numbers"};
  if (now - skew >= *exp) return token_error{token_rejection::expired, "the token expired at " + std::to_string(*exp)};
  if (auto nbf = c.integer("nbf"); nbf && now + skew < *nbf)
    return token_error{token_rejection::not_yet_valid, "the token is not valid before " + std::to_string(*nbf)};
  if (auto iat = c.integer("iat"); iat && now + skew < *iat)
    return token_error{token_rejection::issued_in_future, "the token claims to be issued in the future"};
  return std::nullopt;
}

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
  case token_rejection::wrong_type: return "wrong_type";
  case token_rejection::wrong_tenant: return "wrong_tenant";
  }
  return "unknown";
}

result<json_object, token_error> validate_id_token(std::string_view token, const key_set& keys, const id_token_rules& rules) {
  auto verified = verified_claims(token, keys);
  if (!verified) return verified;
  const auto& c = *verified;
  if (auto problem = check_required(c, {"iss", "sub", "aud", "exp", "iat"})) return failure{*problem};
  if (auto problem = check_issuer(c, rules.issuer)) return failure{*problem};

  auto audiences = c.strings("aud");
  if (!audiences || std::find(audiences->begin(), audiences->end(), rules.audience) == audiences->end())
    return reject(token_rejection::wrong_audience, "the token is not for client \"" + rules.audience + "\"");
  // OpenID Connect Core 3.1.3.7: with several audiences azp is required; whenever present it must be this client.
  if (auto azp = c.string("azp"); (audiences->size() > 1 || azp) && azp != rules.audience)
    return reject(token_rejection::wrong_authorized_party, "the token's authorized party (azp) is not client \"" + rules.audience + "\"");
  if (auto problem = check_lifetime(c, rules.now, rules.clock_skew)) return failure{*problem};

  auto nonce = c.string("nonce");
  if (!nonce) return reject(token_rejection::wrong_nonce, "the token has no nonce; it was not issued for this sign-in");
  if (rules.nonce.empty() || !crypto::constant_time_equals(*nonce, rules.nonce))
    return reject(token_rejection::wrong_nonce, "the token's nonce does not match this sign-in");
  return c;
}

namespace {

// oid and tid name an Entra account only in a token Entra issued, whose issuer names the tenant
// as a path segment (https://login.microsoftonline.com/{tid}/v2.0, https://sts.windows.net/{tid}/,
// {tenant}.b2clogin.com/{tid}/v2.0/). Other providers may let a user set claims of those names,
// which must not make them someone else's account.
bool issuer_names_tenant(std::string_view issuer, std::string_view tid) {
  auto scheme_end = issuer.find("://");
  if (scheme_end == std::string_view::npos) return false;
  auto path = issuer.substr(std::min(issuer.size(), issuer.find('/', scheme_end + 3)));
  for (auto segment : text::split(path, '/'))
    if (segment == tid) return true;
  return false;
}

} // namespace

std::string home_account_id(const json_object& claims) {
  auto oid = claims.string("oid");
  auto tid = claims.string("tid");
  if (oid && tid && !oid->empty() && !tid->empty() && issuer_names_tenant(claims.string("iss").value_or(""), *tid)) return *oid + "." + *tid;
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
