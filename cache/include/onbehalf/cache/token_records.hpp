// What the token cache stores, and under which keys. Keys are partitioned: everything of one
// signed-in account starts with its partition, so sign-out removes it with one prefix; app
// tokens have a partition per client and tenant.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onbehalf::cache {

/// Parts holding '|' or '%' are escaped (%7C, %25), so that no partition is a prefix of another's.
namespace keys {
/// "u|{home account id}|" — the home account id is oid.tid for Entra users.
std::string user_partition(std::string_view home_account_id);
/// "a|{client id}|{tenant}|"
std::string app_partition(std::string_view client_id, std::string_view tenant);
/// "o|{client id}|{digest}|" — a web API's tokens acquired on behalf of one caller's token
/// (on-behalf-of), known by the token's digest: each token its own partition, as MSAL keys them.
std::string caller_partition(std::string_view client_id, std::string_view assertion_digest);
/// The access tokens of a partition for one resource (and B2C user flow, when one was used).
std::string access_tokens(std::string_view partition, std::string_view resource, std::string_view user_flow = {});
/// A user's access tokens from a tenant other than the app's own (a guest's home tenant).
std::string access_tokens_in_tenant(std::string_view partition, std::string_view tenant, std::string_view resource, std::string_view user_flow = {});
/// access_tokens(user_partition(home_account_id), resource, user_flow), built in one allocation.
std::string user_access_tokens(std::string_view home_account_id, std::string_view resource, std::string_view user_flow = {});
std::string refresh_token(std::string_view partition, std::string_view user_flow = {});
std::string account(std::string_view partition);
} // namespace keys

struct cached_access_token {
  std::vector<std::string> scopes; // as granted
  std::string token;
  std::chrono::system_clock::time_point expires_on;
  std::optional<std::chrono::system_clock::time_point> refresh_on; // the authority's refresh_in hint
};

/// A cached token found in the encoded records without decoding them: views into those bytes.
struct access_token_view {
  std::string_view token;
  std::chrono::system_clock::time_point expires_on;
  std::optional<std::chrono::system_clock::time_point> refresh_on;
};

/// The access tokens cached for one partition and resource.
class access_token_records {
public:
  /// best_for on the encoded form, copying and allocating nothing: the hot path of a cached
  /// token. Nothing is found in bytes encode() did not make.
  static std::optional<access_token_view> find_best(std::string_view encoded, const std::vector<std::string>& requested,
                                                    std::chrono::system_clock::time_point now, std::chrono::seconds margin = std::chrono::seconds(0));

  /// The token to use for `requested` scopes: its scopes include them all (compared without
  /// case), it is valid for at least `margin` more, and it lives longest of those that qualify.
  const cached_access_token* best_for(const std::vector<std::string>& requested, std::chrono::system_clock::time_point now,
                                      std::chrono::seconds margin = std::chrono::seconds(0)) const;

  /// Adds a token, replacing one for the same scopes and dropping expired ones.
  void store(cached_access_token t, std::chrono::system_clock::time_point now);
  const std::vector<cached_access_token>& all() const noexcept { return tokens_; }

  /// A compact binary form for the cache stores; decode() refuses anything encode() did not make.
  std::string encode() const;
  static std::optional<access_token_records> decode(std::string_view bytes);

  /// Entries at most: a partition with more scope sets than this drops the soonest to expire.
  static constexpr std::size_t max_tokens = 32;

private:
  std::vector<cached_access_token> tokens_;
};

/// One signed-in account's record: its claims (from the id_token, flattened to type/value
/// pairs) and its live sessions (one per browser that signed in), each with its absolute expiry.
struct account_record {
  struct session {
    std::string id;
    std::chrono::system_clock::time_point expires_on;
  };
  std::vector<std::pair<std::string, std::string>> claims;
  std::vector<session> sessions;

  /// The latest expiry of its sessions: how long the record must be kept.
  std::chrono::system_clock::time_point expires_on() const;
  std::string encode() const;
  static std::optional<account_record> decode(std::string_view bytes);
  /// A browser that signs in again and again keeps at most this many sessions; the oldest go.
  static constexpr std::size_t max_sessions = 32;
  static constexpr std::size_t max_claims = 4096;
};

} // namespace onbehalf::cache
