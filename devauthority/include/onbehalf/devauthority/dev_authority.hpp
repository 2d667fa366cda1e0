// A local, Entra-ID-shaped OpenID provider for development and tests: v2.0 discovery and keys,
// sign-in and consent pages, the token endpoint with every grant and client authentication the
// framework uses, a consent ledger, conditional access (MFA), and fault injection.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/devauthority/directory.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::devauthority {

/// Misbehaviour to inject, for testing how apps cope with a failing authority.
struct faults {
  enum class mode { none, unavailable, server_error, throttled } kind = mode::none;
  std::chrono::milliseconds added_latency{0};
  std::chrono::seconds retry_after{30}; // with `throttled`
};

/// One token request as it arrived, for tests that check what an app sent.
struct token_request_record {
  std::string grant_type;
  std::string tenant;            // as the URL named it
  std::string query;             // the URL's query string: extra query parameters land here
  std::string client_request_id; // the caller's correlation id
  std::string claims;            // the claims parameter, when sent
  std::string scope;
  std::string traceparent; // W3C trace context, when sent
};

class dev_authority {
public:
  explicit dev_authority(directory d);
  ~dev_authority();
  dev_authority(const dev_authority&) = delete;
  dev_authority& operator=(const dev_authority&) = delete;

  /// Listens on the directory's address and port (0 picks a free port).
  result<std::uint16_t, std::string> start();
  void stop();
  void wait();

  /// http://127.0.0.1:PORT
  std::string base_url() const;
  /// The Entra-style authority for a tenant id, domain, "common" or "organizations": {base}/{tenant}/v2.0
  std::string authority(std::string_view tenant) const;
  /// The B2C authority of a user flow: {base}/tfp/{tenant}/{policy}/v2.0
  std::string user_flow_authority(std::string_view tenant, std::string_view policy) const;

  // Workload identities. The managed-identity endpoints answer at base_url() as IMDS does
  // (/metadata/identity/oauth2/token, header Metadata: true) and at app_service_identity_endpoint()
  // as App Service does (header X-IDENTITY-HEADER, the directory's identity_header).
  std::string app_service_identity_endpoint() const;
  /// The issuer of workload tokens, "{base}/kubernetes" (federated credentials write "{base}/kubernetes").
  std::string workload_issuer() const;
  /// A token for `subject` as a Kubernetes cluster projects it into a pod (also POST
  /// /admin/workload-token): apps whose federated credentials name the subject accept it.
  std::string workload_token(std::string_view subject, std::chrono::seconds lifetime = std::chrono::hours(1),
                             std::string_view audience = "api://AzureADTokenExchange");

  // Development controls; also at /admin/... when the directory enables them (loopback only).
  void rotate_signing_key();
  /// Revokes every sign-in of the user (Entra's revokeSignInSessions): their refresh tokens are
  /// refused, and their access tokens are no longer taken as on-behalf-of assertions.
  void revoke_user(std::string_view user_name);
  void set_faults(faults f);
  /// The app's registration gains a delegated permission (also POST /admin/required-permission),
  /// as when an API starts calling another: its users consent to it next time (combined consent,
  /// for a middle tier). False when the app or the resource is unknown.
  bool require_permission(std::string_view client_id, std::string_view resource, std::string_view scope);
  /// How many requests the injected latency holds back right now: one has arrived, unanswered.
  std::size_t requests_held() const;
  /// Access tokens issued from now on live this long (already issued ones keep their expiry).
  void set_access_token_lifetime(std::chrono::seconds lifetime);

  /// How many token requests of a grant type (authorization_code, refresh_token, client_credentials) arrived.
  std::size_t token_requests(std::string_view grant_type) const;
  /// The latest token requests, oldest first (at most 100).
  std::vector<token_request_record> recent_token_requests() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::devauthority
