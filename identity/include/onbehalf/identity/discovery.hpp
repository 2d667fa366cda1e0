// OpenID Provider metadata (OpenID Connect Discovery 1.0): where it lives and what it says.
#pragma once

#include "onbehalf/core/result.hpp"

#include <optional>
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
  bool authorization_response_iss_parameter_supported = false; // RFC 9207
};

/// Reads a discovery document. Missing or mistyped required members, or endpoints that are not
/// https (http is allowed on loopback, for development authorities), are errors naming the member.
result<provider_metadata, std::string> parse_provider_metadata(std::string_view json);

/// Whether a discovery document read from `authority` may name `issuer` as its own (OpenID Connect
/// Discovery §4.3: they are the same URL). Entra's issuer names the tenant's id where its
/// authority may name a domain, "common" or a B2C policy: there, an issuer of the shape
/// "/{tenant id}/v2.0" on the authority's host (or, for External ID, on the tenant's
/// ciamlogin.com host) belongs too. Anything else is another authority's issuer: a mix-up.
bool issuer_belongs_to_authority(std::string_view issuer, std::string_view authority);

/// RFC 9207: an authorization response's `iss`, when sent (and it must be when the metadata says
/// so), names the issuer the sign-in went to. Why not, in plain words; nullopt when it does.
std::optional<std::string> authorization_response_issuer_problem(const provider_metadata& m, std::optional<std::string_view> iss);

} // namespace onbehalf::identity
