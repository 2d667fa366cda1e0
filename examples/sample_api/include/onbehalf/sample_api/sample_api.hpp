// onbehalf-sample-api: the downstream API of the samples and tests. It validates the bearer
// tokens it receives as any protected API must (signature, issuer, audience, lifetime, scopes or
// roles) and serves a user profile, todos, an echo of what it received, and the subset of
// Microsoft Graph the samples use (/v1.0/me, /v1.0/me/messages with paging, sendMail). Tests
// and benchmarks can make it slow or failing, ask for claims (continuous access evaluation),
// and read how many requests it had in flight at most.
#pragma once

#include "onbehalf/config/configuration.hpp"
#include "onbehalf/core/result.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onbehalf::sample_api {

/// An API as the authority knows it: tokens for it carry one of these as audience.
struct protected_api {
  std::string app_id;
  std::string app_id_uri;
};

struct settings {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 5200; // 0 picks a free port
  unsigned io_threads = 1;
  std::string authority; // the issuer URL; discovery and keys are fetched from it
  protected_api todo{"22222222-2222-2222-2222-222222222222", "api://22222222-2222-2222-2222-222222222222"};
  protected_api graph{"00000003-0000-0000-c000-000000000000", "https://graph.microsoft.com"};
  bool admin_enabled = false;       // /admin/...: faults, claims challenges, statistics (loopback only)
  std::string tls_certificate_path; // HTTPS when set, with tls_key_path
  std::string tls_key_path;
  std::string ca_bundle_path; // to trust an authority served with a private CA
};

/// Reads a SampleApi section (examples/sampleapi.json shows every key), then environment
/// variables such as SampleApi__Port; errors name the key.
result<settings, std::vector<config::problem>> load_settings(const std::string& path, char** environment);

/// Misbehaviour for tests and benchmarks; applies to every API route, not to /admin.
struct faults {
  enum class mode {
    none,
    unavailable,    // 503 with Retry-After
    throttled,      // 429 with Retry-After
    server_error,   // 500
    malformed_json, // 200 with a body that is not JSON
    wrong_types,    // 200 with JSON whose members have the wrong types
    huge_body,      // 200 with a 16 MiB body
    never_answer,   // holds the request until the API stops
  } kind = mode::none;
  std::chrono::milliseconds latency{0};
  std::chrono::seconds retry_after{5}; // with unavailable and throttled
  std::size_t times = 0;               // the next this many requests only; 0: until changed
};

struct statistics {
  std::size_t requests = 0;      // API requests that arrived (not /admin)
  std::size_t in_flight = 0;     // answered not yet
  std::size_t max_in_flight = 0; // the most at once since the last reset
  std::size_t abandoned = 0;     // held requests (never_answer) whose caller went away
};

class server {
public:
  explicit server(settings s);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  result<std::uint16_t, std::string> start();
  void stop();
  void wait();
  /// http(s)://127.0.0.1:PORT
  std::string base_url() const;

  // Also at /admin/... when enabled.
  void set_faults(faults f);
  statistics stats() const;
  void reset_statistics();
  /// Conditional access by authentication context: tokens of `user_oid` ("*": everyone) must
  /// carry `acrs` value `context`, else a 401 claims challenge asks for it.
  void require_authentication_context(std::string user_oid, std::string context);
  /// Continuous access evaluation after a revocation: tokens of `user_oid` issued before now
  /// get a 401 claims challenge asking for a newer one.
  void revoke_sessions(std::string user_oid);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace onbehalf::sample_api
