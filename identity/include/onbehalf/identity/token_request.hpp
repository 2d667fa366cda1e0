// Requests to the token endpoint (RFC 6749 section 4): built here, sent by the caller.
#pragma once

#include "onbehalf/core/secret.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/assertion_source.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace onbehalf::identity {

/// How the app proves who it is to the token endpoint.
struct client_authentication {
  enum class method { client_secret_post, client_secret_basic, private_key_jwt };
  method how = method::client_secret_post;
  std::string client_id;
  secret client_secret;                          // for the two secret methods
  std::shared_ptr<assertion_source> assertion{}; // for private_key_jwt
  /// Client capabilities ("cp1"), declared in the claims request of every token request.
  std::vector<std::string> capabilities{};
  /// Where this credential is configured ("AzureAd:ClientCredentials:1"), for the logs.
  std::string source{};
};

/// `claims` (a claims request, JSON; may be empty) with `capabilities` added as
/// access_token.xms_cc.values, as MSAL sends them; `claims` unchanged when there are none or
/// when it is not a JSON object.
std::string with_client_capabilities(std::string_view claims, const std::vector<std::string>& capabilities);

/// What is being exchanged for tokens.
struct token_grant {
  static token_grant authorization_code(std::string code, std::string redirect_uri, std::string code_verifier,
                                        const std::vector<std::string>& scopes);
  static token_grant refresh(const secret& refresh_token, const std::vector<std::string>& scopes);
  /// Scopes are the resource's `.default` scope, e.g. "api://my-api/.default".
  static token_grant client_credentials(const std::vector<std::string>& scopes);
  /// On-behalf-of, as Entra takes it: the caller's access token (issued for this app) as a
  /// jwt-bearer assertion, exchanged for a token to a downstream API.
  static token_grant on_behalf_of(const secret& assertion, const std::vector<std::string>& scopes);
  /// On-behalf-of, as RFC 8693 (token exchange) takes it, for providers other than Entra.
  static token_grant token_exchange(const secret& subject_token, const std::vector<std::string>& scopes);

  text::form_fields fields;
  /// A claims request (JSON), from a conditional-access or CAE challenge; sent when set.
  std::string claims;
};

/// A token endpoint call, ready for an HTTP client: POST `url` with `headers` and form `body`.
struct token_http_request {
  std::string url;
  std::string method = "POST"; // GET for managed-identity endpoints
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct token_request_options {
  std::string correlation_id; // sent as client-request-id, so the authority's logs can be matched
  std::string traceparent;    // W3C trace context of the work that needs the token
  std::vector<std::pair<std::string, std::string>> extra_query_parameters;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  /// For private_key_jwt: the assertion, asked of the client's source beforehand by callers whose
  /// source can fail or must fetch (files, managed identity). When empty, the source is asked here,
  /// and must answer at once (a certificate).
  secret client_assertion{};
};

token_http_request build_token_request(std::string_view token_endpoint, const client_authentication& client, const token_grant& grant,
                                       const token_request_options& options = {});

} // namespace onbehalf::identity
