#include "onbehalf/identity/discovery.hpp"

#include "onbehalf/identity/json_object.hpp"

namespace onbehalf::identity {

namespace {

bool acceptable_endpoint(std::string_view url) {
  if (url.starts_with("https://")) return url.size() > 8;
  for (std::string_view loopback : {"http://127.0.0.1", "http://localhost", "http://[::1]"})
    if (url.starts_with(loopback) && (url.size() == loopback.size() || url[loopback.size()] == ':' || url[loopback.size()] == '/'))
      return true;
  return false;
}

} // namespace

std::string metadata_address(std::string_view authority) {
  std::string base(authority);
  while (base.ends_with('/')) base.pop_back();
  return base + "/.well-known/openid-configuration";
}

result<provider_metadata, std::string> parse_provider_metadata(std::string_view json) {
  auto doc = json_object::parse(json);
  if (!doc) return failure{"the discovery document " + doc.error()};
  provider_metadata m;
  struct required_member {
    std::string_view name;
    std::string* into;
    bool endpoint;
  };
  for (auto [name, into, endpoint] : {required_member{"issuer", &m.issuer, false},
                                      required_member{"authorization_endpoint", &m.authorization_endpoint, true},
                                      required_member{"token_endpoint", &m.token_endpoint, true},
                                      required_member{"jwks_uri", &m.jwks_uri, true}}) {
    auto value = doc->string(name);
    if (!value || value->empty())
      return failure{"the discovery document has no \"" + std::string(name) + "\"" + (doc->wrong_type(name, "string") ? " string" : "")};
    if (endpoint && !acceptable_endpoint(*value))
      return failure{"the discovery document's \"" + std::string(name) + "\" must be an https URL, not \"" + *value + "\""};
    *into = std::move(*value);
  }
  m.end_session_endpoint = doc->string("end_session_endpoint").value_or("");
  m.userinfo_endpoint = doc->string("userinfo_endpoint").value_or("");
  m.response_modes_supported = doc->strings("response_modes_supported").value_or(std::vector<std::string>{});
  m.code_challenge_methods_supported = doc->strings("code_challenge_methods_supported").value_or(std::vector<std::string>{});
  m.token_endpoint_auth_methods_supported = doc->strings("token_endpoint_auth_methods_supported").value_or(std::vector<std::string>{});
  return m;
}

} // namespace onbehalf::identity
