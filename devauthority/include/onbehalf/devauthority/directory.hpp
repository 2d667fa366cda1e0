// Who exists at the development authority: tenants, their users, apps and APIs (resources).
#pragma once

#include "onbehalf/config/configuration.hpp"
#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"
#include "onbehalf/identity/client_assertion.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onbehalf::devauthority {

struct user {
  std::string user_name; // sign-in name, e.g. ada@contoso.onmicrosoft.com
  secret password;
  std::string display_name;
  std::string object_id; // oid
};

/// An API that accepts tokens: its scopes (delegated) and app roles (application permissions).
struct resource {
  std::string app_id_uri; // e.g. api://2222..., or https://graph.microsoft.com
  std::string app_id;     // the token audience
  std::vector<std::string> scopes;
  std::vector<std::string> app_roles;
  bool requires_mfa = false; // conditional access: tokens need a second factor
  /// Entra's accessTokenAcceptedVersion: 2 (issuer {base}/{tid}/v2.0, audience the app id), or 1
  /// as first-party APIs such as Azure Storage take them (issuer https://sts.windows.net/{tid}/,
  /// audience the App ID URI, appid instead of azp).
  int access_token_version = 2;
};

/// Entra's federated identity credential: the app accepts, instead of a secret, a token another
/// issuer gave a workload — a Kubernetes service account, a managed identity. "{base}" in the
/// issuer stands for the dev authority's address, which tokens it signs itself name.
struct federated_credential {
  std::string issuer;
  std::string subject;
  std::string audience = "api://AzureADTokenExchange";
};

/// An Azure resource's own identity, whose app-only tokens come from the managed-identity
/// endpoints (both the IMDS and the App Service shape).
struct managed_identity {
  std::string client_id;
  std::string object_id;
  bool system_assigned = false;                                            // asked for without a client_id
  std::map<std::string, std::vector<std::string>> application_permissions; // resource → app roles
};

struct app {
  std::string client_id;
  std::string display_name;
  std::vector<secret> secrets;
  std::vector<identity::trusted_certificate> certificates; // accepted for private_key_jwt (CertificatePaths: PEM files)
  std::vector<federated_credential> federated_credentials; // FederatedCredentials
  std::vector<std::string> redirect_uris;
  std::vector<std::string> post_logout_redirect_uris;
  std::map<std::string, std::vector<std::string>> required_permissions; // resource → delegated scopes (for .default)
  /// Entra's knownClientApplications: when a user consents to one of these clients using this
  /// app's API, the consent covers this app's required permissions too (combined consent), which
  /// is how a user consents for a middle tier that has no pages of its own.
  std::vector<std::string> known_client_applications;
  std::map<std::string, std::vector<std::string>> application_permissions; // resource → app roles granted by an admin
};

struct tenant {
  std::string id; // GUID-like
  std::string domain;
  std::vector<user> users;
  std::vector<resource> resources;
  std::vector<app> apps;
  std::vector<std::string> user_flows; // B2C policies such as b2c_1_susi, b2c_1_edit_profile, b2c_1_reset
  std::vector<managed_identity> managed_identities;

  bool has_user_flow(std::string_view policy) const;
  const user* find_user(std::string_view user_name) const;
  const app* find_app(std::string_view client_id) const;
  /// The resource a scope belongs to: "api://x/read" → api://x; bare names ("user.read") → Microsoft Graph.
  const resource* resource_for_scope(std::string_view scope) const;
};

struct lifetimes {
  std::chrono::seconds access_token{3600};
  std::chrono::seconds refresh_token{std::chrono::hours(24 * 90)};
  std::chrono::seconds authorization_code{300};
  /// For clients that declare "cp1" (continuous access evaluation): Entra issues them 24 to 28
  /// hours, because a CAE-capable API revokes them early with a claims challenge.
  std::chrono::seconds cae_access_token{std::chrono::hours(24)};
};

struct directory {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 5100;
  lifetimes token_lifetimes;
  bool admin_enabled = false; // the fault-injection endpoints, loopback only
  /// What the App Service-shaped managed-identity endpoint (/msi/token) wants in X-IDENTITY-HEADER.
  secret identity_header{std::string("devauthority-identity-header")};
  std::vector<tenant> tenants;

  /// By tenant id or domain; "common" and "organizations" are handled by the caller.
  const tenant* find_tenant(std::string_view id_or_domain) const;
  const tenant* home_tenant_of(std::string_view user_name) const;
};

/// Reads a dev authority configuration (JSON; examples/devauthority.json shows every key), then
/// environment variables such as DevAuthority__Port; errors name the key.
result<directory, std::vector<config::problem>> load_directory(const std::string& path, char** environment = nullptr);
result<directory, std::vector<config::problem>> read_directory(const config::configuration& c);

} // namespace onbehalf::devauthority
