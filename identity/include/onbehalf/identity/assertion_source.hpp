// Where an app's client assertion comes from when it proves itself with one instead of a secret
// (private_key_jwt, RFC 7523): a certificate it signs with, or a token that another issuer gave
// it and the app registration trusts (workload identity federation).
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/secret.hpp"
#include "onbehalf/identity/client_assertion.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace onbehalf::identity {

struct assertion_request {
  std::string_view client_id;
  std::string_view token_endpoint; // the assertion's audience, for assertions the app signs
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

/// The assertion, or what to fix (a file that cannot be read, an endpoint that is down).
using assertion_callback = std::function<void(result<secret, std::string>)>;

class assertion_source {
public:
  virtual ~assertion_source() = default;
  /// Calls `done` once: at once for sources that have the assertion at hand (certificates,
  /// files), later for those that fetch it.
  virtual void assertion_for(const assertion_request& request, assertion_callback done) = 0;
};

/// Signs with a certificate loaded once (SourceType Base64Encoded, or one the app loaded itself).
std::shared_ptr<assertion_source> signed_with(client_certificate certificate);

/// Signs with the certificate in a file (PEM or PKCS#12), loaded again when the file changes, so
/// a rotated certificate is used without a restart; until the new one loads, the old one is.
std::shared_ptr<assertion_source> signed_with_certificate_file(std::string path, secret password = {});

/// Sends the signed assertion that another issuer wrote to a file — a Kubernetes projected
/// service-account token (AZURE_FEDERATED_TOKEN_FILE) — read again whenever the file changes.
std::shared_ptr<assertion_source> assertion_from_file(std::string path);

} // namespace onbehalf::identity
