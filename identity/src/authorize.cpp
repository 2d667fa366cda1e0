#include "onbehalf/identity/authorize.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/text.hpp"

#include <algorithm>

namespace onbehalf::identity {

pkce_pair make_pkce() {
  auto verifier = crypto::random_token(32);
  auto challenge = pkce_challenge(verifier);
  return {std::move(verifier), std::move(challenge)};
}

std::string pkce_challenge(std::string_view verifier) { return base64::encode(crypto::sha256(verifier), base64::alphabet::url); }

std::string scope_parameter(const std::vector<std::string>& requested) {
  std::vector<std::string_view> scopes(std::begin(sign_in_scopes), std::end(sign_in_scopes));
  for (const auto& s : requested)
    if (!s.empty() && std::find(scopes.begin(), scopes.end(), s) == scopes.end()) scopes.push_back(s);
  std::string out;
  for (auto s : scopes) out += (out.empty() ? "" : " ") + std::string(s);
  return out;
}

std::string_view resource_view_of_scope(std::string_view scope) {
  auto slash = scope.rfind('/');
  if (slash == std::string_view::npos || scope.substr(0, slash).find("://") == std::string_view::npos) return graph_resource;
  return scope.substr(0, slash);
}

std::string resource_of_scope(std::string_view scope) { return std::string(resource_view_of_scope(scope)); }

bool is_scope_token(std::string_view scope) {
  if (scope.empty()) return false;
  for (unsigned char c : scope)
    if (c < 0x21 || c > 0x7E || c == '"' || c == '\\') return false;
  return true;
}

std::vector<std::string> scopes_of_first_resource(const std::vector<std::string>& scopes) {
  auto is_sign_in = [](std::string_view s) { return s == "openid" || s == "profile" || s == "offline_access" || s == "email"; };
  std::vector<std::string> out;
  std::string resource;
  for (const auto& s : scopes) {
    if (is_sign_in(s)) continue;
    auto r = resource_of_scope(s);
    if (resource.empty()) resource = r;
    if (r == resource) out.push_back(s);
  }
  return out;
}

std::string authorize_url(const authorize_request& r) {
  text::form_fields q;
  q.add("client_id", r.client_id)
      .add("response_type", "code")
      .add("redirect_uri", r.redirect_uri)
      .add("response_mode", r.mode == response_mode::form_post ? "form_post" : "query")
      .add("scope", scope_parameter(r.scopes))
      .add("state", r.state)
      .add("nonce", r.nonce)
      .add("code_challenge", r.code_challenge)
      .add("code_challenge_method", "S256");
  for (auto [name, value] : {std::pair{"prompt", &r.prompt}, std::pair{"login_hint", &r.login_hint}, std::pair{"domain_hint", &r.domain_hint},
                             std::pair{"claims", &r.claims}})
    if (!value->empty()) q.add(name, *value);
  for (const auto& [name, value] : r.extra_query_parameters) q.add(name, value);
  // B2C's older endpoints already carry a query (?p=policy): append to it.
  auto separator = r.authorization_endpoint.find('?') == std::string::npos ? '?' : '&';
  return r.authorization_endpoint + separator + q.encode();
}

} // namespace onbehalf::identity
