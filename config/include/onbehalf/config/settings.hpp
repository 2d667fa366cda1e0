// The validated, immutable settings an onbehalf application runs with.
// Names follow the appsettings.json keys of Microsoft.Identity.Web; see README "Configuration".
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/sealing.hpp"
#include "onbehalf/core/secret.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onbehalf::config {

/// One entry of AzureAd:ClientCredentials.
struct client_credential {
  enum class source_type { client_secret, path, base64_encoded, signed_assertion_file_path, signed_assertion_from_managed_identity };
  source_type type = source_type::client_secret;
  onbehalf::secret client_secret;            // ClientSecret
  std::string certificate_disk_path;         // CertificateDiskPath (PEM or PKCS#12), read again when it changes
  onbehalf::secret certificate_password;     // CertificatePassword
  onbehalf::secret certificate_base64_value; // Base64EncodedValue
  /// SignedAssertionFileDiskPath: a token another issuer writes (Kubernetes workload identity);
  /// AZURE_FEDERATED_TOKEN_FILE when not set.
  std::string signed_assertion_file_path{};
  /// ManagedIdentityClientId: the user-assigned managed identity whose token is the assertion;
  /// empty: the system-assigned one.
  std::string managed_identity_client_id{};
  std::string token_exchange_url = "api://AzureADTokenExchange"; // TokenExchangeUrl: the audience of that token
};

/// Where managed-identity tokens come from: Azure sets these through environment variables
/// (IDENTITY_ENDPOINT and IDENTITY_HEADER on App Service and Functions; elsewhere the instance
/// metadata service, whose address AZURE_POD_IDENTITY_AUTHORITY_HOST may change).
struct managed_identity_options {
  std::string imds_endpoint = "http://169.254.169.254"; // Onbehalf:ManagedIdentity:ImdsEndpoint
  std::string identity_endpoint;                        // …:IdentityEndpoint; when set, used instead of IMDS
  onbehalf::secret identity_header;                     // …:IdentityHeader, sent with each request to it
};

/// The AzureAd section: who the app is and which authority signs its users in.
struct azure_ad_options {
  std::string instance;  // Instance, e.g. https://login.microsoftonline.com/
  std::string tenant_id; // TenantId: a GUID, a domain, common or organizations
  std::string authority; // Authority: any OpenID provider's issuer URL, instead of Instance + TenantId
  std::string client_id;
  std::string domain;
  std::string callback_path = "/signin-oidc";
  std::string signed_out_callback_path = "/signout-callback-oidc";
  std::string sign_up_sign_in_policy_id; // B2C user flows
  std::string edit_profile_policy_id;
  std::string reset_password_policy_id;
  std::vector<client_credential> client_credentials;
  /// Web API: the audience its callers' tokens name, besides ClientId and api://{ClientId}.
  std::string audience;
  /// Web API with a multi-tenant authority (common, organizations): the tenants whose tokens it
  /// admits; empty admits every tenant.
  std::vector<std::string> allowed_tenants;
  /// Web API: admit tokens that carry neither scopes nor app roles (access decided elsewhere).
  bool allow_web_api_to_be_authorized_by_acl = false;
  /// Web API: how the authority exchanges a caller's token for tokens to downstream APIs:
  /// "JwtBearer" (Entra's on-behalf-of) or "TokenExchange" (RFC 8693, as other providers offer it).
  std::string on_behalf_of_grant = "JwtBearer";
  /// ClientCapabilities (["cp1"]): what the app declares it can handle, sent with every token
  /// request (MSAL's WithClientCapabilities). "cp1" says it answers claims challenges, so Entra
  /// issues it long-lived tokens that continuous access evaluation can revoke early.
  std::vector<std::string> client_capabilities;

  /// The authority URL used for discovery: Instance + TenantId + "/v2.0" (or the B2C policy
  /// form), else Authority as given.
  std::string effective_authority() const;
  bool is_b2c() const noexcept { return !sign_up_sign_in_policy_id.empty(); }
  /// The authority of another tenant (a guest's home, a customer's): {Instance}{tenant}/v2.0, or
  /// Authority with its TenantId segment replaced; empty when Authority names no tenant.
  std::string authority_for_tenant(std::string_view tenant) const;
  /// B2C: the authority of a user flow, {Instance}tfp/{Domain}/{flow}/v2.0; the sign-up-sign-in
  /// flow's (effective_authority) for an empty flow, and outside B2C.
  std::string authority_for_flow(std::string_view user_flow) const;
};

struct acquire_token_options {
  std::string user_flow; // B2C: tokens of this user flow (an onbehalf addition; MIW passes it as an argument)
  std::string tenant;
  std::string claims;
  std::string correlation_id;
  std::string authentication_options_name;
  bool force_refresh = false;
  std::map<std::string, std::string> extra_query_parameters;
  /// ManagedIdentity: app tokens from the managed-identity endpoint instead of the app's
  /// credentials; the value is UserAssignedClientId, empty for the system-assigned identity.
  std::optional<std::string> managed_identity;
};

/// One named entry of the DownstreamApis section.
struct downstream_api_options {
  std::string name;
  std::string base_url;
  std::string relative_path;
  std::string http_method = "GET";
  std::vector<std::string> scopes;
  bool request_app_token = false;
  std::string accept_header = "application/json";
  std::string content_type = "application/json";
  std::string protocol_scheme = "Bearer";
  std::map<std::string, std::string> extra_header_parameters;
  std::map<std::string, std::string> extra_query_parameters; // also read from QueryParameters
  acquire_token_options token_options;                       // AcquireTokenOptions
  /// TimeoutSeconds: the whole call's deadline, retries included; none: the HTTP client's 30 s per attempt.
  std::optional<std::chrono::milliseconds> timeout{};
  /// MaxRetries: how often an idempotent call (GET, HEAD, OPTIONS, PUT, DELETE) is sent again
  /// when the API cannot be reached or answers 429, 502, 503 or 504.
  unsigned max_retries = 2;
  /// MaxRetryDelaySeconds: the longest wait before a retry; an API whose Retry-After asks for
  /// longer gets no retry, and its answer (with Retry-After) goes back to the caller.
  std::chrono::milliseconds max_retry_delay{2000};
};

struct tls_options {
  std::string certificate_path; // PEM certificate chain
  std::string key_path;         // PEM private key
  bool enabled() const noexcept { return !certificate_path.empty(); }
};

struct http_limits {
  std::uint32_t max_request_header_bytes = 32 * 1024;  // larger headers get 431
  std::uint64_t max_request_body_bytes = 1024 * 1024;  // larger bodies get 413
  std::chrono::seconds request_headers_timeout{30};    // a request must arrive whole within this
  std::chrono::seconds keep_alive_timeout{120};        // an idle connection is closed after this
  std::chrono::seconds shutdown_timeout{30};           // in-flight requests get this long to finish
  std::size_t max_connections = 10'000;                // more get 503 and are closed
  std::size_t max_websocket_message_bytes = 64 * 1024; // a larger incoming message closes the socket (1009)
  std::size_t max_websocket_backlog_bytes = 1 << 20;   // a reader this far behind is disconnected
};

struct cache_key {
  std::string id;
  onbehalf::secret key; // 32 bytes, base64 in configuration
};

/// The key ring that Onbehalf:Cache:EncryptionKeys describes (keys base64-decoded, newest last).
result<key_ring, std::string> make_key_ring(const std::vector<cache_key>& keys);

struct cache_options {
  enum class backend_type { memory, rocksdb, redis };
  backend_type backend = backend_type::rocksdb;
  std::string path = "var/cache";
  std::vector<cache_key> encryption_keys; // the last one encrypts new entries; all decrypt
  std::uint64_t memory_limit_bytes = 256ull * 1024 * 1024;
};

/// Onbehalf:Redis — the shared cache and what coordinates instances (Backend = Redis).
struct redis_options {
  std::string host = "127.0.0.1"; // with Cluster, any node to start from
  std::uint16_t port = 6379;
  bool cluster = false;
  std::string user;                     // an ACL user; empty: the default user
  onbehalf::secret password;            // AUTH
  unsigned database = 0;                // SELECT; 0 with Cluster
  std::string key_prefix = "onbehalf:"; // one per application sharing the Redis
  struct tls_settings {
    bool enabled = false;
    std::string ca_bundle_path;          // PEM; empty: the system's CAs
    std::string server_name;             // the name the server's certificate carries; empty: Host
    std::string client_certificate_path; // PEM, when Redis asks for client certificates
    std::string client_key_path;
  } tls;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{500};
  unsigned connections = 2;            // per node: one slow command does not hold up the rest
  std::chrono::seconds lease_time{15}; // a refresh-token lease outlives a holder that dies this long
};

/// Onbehalf:SignIn — the web app's sign-in and its session cookie.
struct sign_in_options {
  std::vector<std::string> initial_scopes;            // asked for at sign-in, so consent to them happens up front
  std::string sign_out_path;                          // another sign-out address besides /MicrosoftIdentity/Account/SignOut
  bool form_post = true;                              // ResponseMode: FormPost (default) or Query
  std::chrono::minutes idle_timeout{60 * 24 * 14};    // a session cookie unused this long stops working
  std::chrono::hours absolute_lifetime{24 * 14};      // a session ends this long after sign-in, however active
  std::vector<cache_key> cookie_keys;                 // seal the cookies; when empty, Onbehalf:Cache:EncryptionKeys do
  std::chrono::seconds correlation_lifetime{15 * 60}; // a sign-in must come back from the authority within this
  std::string prompt;                             // sent with every sign-in; "consent" makes providers that follow OIDC Core 11 issue refresh tokens
  std::chrono::seconds revalidation_interval{30}; // with Redis: a session held in memory is checked against it this often
  std::vector<std::string> trusted_origins;       // other sites' pages that may post here, or open live sockets, as the user
};

/// The Onbehalf section: how this process serves.
/// Where /metrics is served. Without a listener of its own, the app's listener answers it to
/// this machine only (a local Prometheus, curl); with one, there alone.
struct metrics_options {
  bool own_listener = false;                // Onbehalf:Metrics:Port is set
  std::string listen_address = "127.0.0.1"; // Onbehalf:Metrics:ListenAddress
  std::uint16_t port = 0;                   // 0 picks a free port
};

struct host_options {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 5000;
  tls_options tls;
  unsigned io_threads = 1;
  unsigned actor_threads = 1;
  http_limits limits;
  cache_options cache;
  redis_options redis;
  sign_in_options sign_in;
  std::vector<std::string> known_proxies; // ForwardedHeaders:KnownProxies: whose X-Forwarded-* headers count
  metrics_options metrics;
  std::chrono::seconds token_refresh_margin{300}; // a cached token this close to expiry is refreshed in the background
  std::string ca_bundle_path;                     // PEM file of extra CAs trusted for outgoing HTTPS (authority, downstream APIs)
  /// Onbehalf:Proxy — egress through an HTTP proxy (HTTPS_PROXY and NO_PROXY when not set).
  struct proxy_settings {
    std::string address;             // Address: http://host:port, or http://user:password@host:port
    std::vector<std::string> bypass; // Bypass: hosts reached directly (NO_PROXY's syntax)
  } proxy;
  std::string log_level = "info";
};

struct app_settings {
  azure_ad_options azure_ad;
  std::vector<downstream_api_options> downstream_apis;
  host_options host;
  managed_identity_options managed_identity;
  /// Every key the configuration set, as loaded (lower-case keys): for settings that name other
  /// keys, such as a route's ScopeKeySection.
  std::map<std::string, std::string> values;

  const downstream_api_options* find_downstream_api(std::string_view name) const;
  /// The value at a key path, or the values of the list there ("DownstreamApis:TodoList:Scopes"
  /// gives every scope, "…:Scopes:0" the first); DownstreamApis scopes are found even in
  /// settings built in code. Empty when the key is not set.
  std::vector<std::string> values_at(std::string_view key) const;
};

} // namespace onbehalf::config
