// An authority's metadata and signing keys, fetched once and shared: refreshed periodically,
// refetched when a token names an unknown key, but never more often than a cooldown allows,
// so a flood of forged tokens cannot make us hammer the authority.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/identity/discovery.hpp"
#include "onbehalf/identity/jose.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace onbehalf::identity {

/// Fetches a document's body; the seam to an HTTP client. Must call `done` exactly once, from any thread.
using fetch_function = std::function<void(const std::string& url, std::function<void(result<std::string, std::string>)> done)>;

struct authority_snapshot {
  provider_metadata metadata;
  key_set keys;
};

struct authority_cache_options {
  std::chrono::seconds refresh_interval{std::chrono::hours(24)};
  std::chrono::seconds unknown_key_cooldown{std::chrono::minutes(5)};
  std::chrono::seconds failure_backoff{std::chrono::seconds(10)}; // after a failed fetch, no new attempt before this
  std::function<std::chrono::steady_clock::time_point()> clock = [] { return std::chrono::steady_clock::now(); };
};

class authority_cache {
public:
  using snapshot_ptr = std::shared_ptr<const authority_snapshot>;
  using callback = std::function<void(result<snapshot_ptr, std::string>)>;

  authority_cache(std::string authority, fetch_function fetch, authority_cache_options options = {});
  ~authority_cache();

  /// The current snapshot, fetched on first use and again after the refresh interval. Callers
  /// arriving while a fetch runs wait for it: one fetch, whatever their number. If a refresh
  /// fails, the last good snapshot keeps being served.
  void get(callback done);

  /// For a token whose key id is not in the snapshot: refetches the JWKS unless that was done
  /// within the cooldown, then calls back with the snapshot (with the new keys, if any).
  void refresh_for_unknown_key(callback done);

  std::size_t metadata_fetches() const noexcept;
  std::size_t jwks_fetches() const noexcept;

private:
  struct state;
  std::shared_ptr<state> state_;
};

} // namespace onbehalf::identity
