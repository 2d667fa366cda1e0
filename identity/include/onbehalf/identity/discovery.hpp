// OpenID Provider metadata (OpenID Connect Discovery 1.0): where it lives and what it says.
#pragma once

#include "onbehalf/core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::identity {

/// `{authority}/.well-known/openid-configuration`, for Entra authorities
/// (`{Instance}{TenantId}/v2.0`, B2C `/tfp/{tenant}/{policy}/v2.0`) and any plain issuer URL.
std::string metadata_address(std::string_view authority);

struct provider_metadata {
  std::string issuer; // may hold Entra's "{tenantid}" placeholder
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string end_session_endpoint; // empty when the provider has none
  std::string userinfo_endpoint;
  std::vector<std::string> response_modes_supported;
  std::vector<std::string> code_challenge_methods_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
};

/// Reads a discovery document. Missing or mistyped required members, or endpoints that are not
/// https (http is allowed on loopback, for development authorities), are errors naming the member.
result<provider_metadata, std::string> parse_provider_metadata(std::string_view json);

} // namespace onbehalf::identity
