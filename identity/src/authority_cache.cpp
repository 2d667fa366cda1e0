#include "onbehalf/identity/authority_cache.hpp"

#include "onbehalf/core/log.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

namespace onbehalf::identity {

using clock_point = std::chrono::steady_clock::time_point;

struct authority_cache::state : std::enable_shared_from_this<state> {
  std::string authority;
  fetch_function fetch;
  authority_cache_options options;

  std::mutex mutex;
  snapshot_ptr current;
  clock_point fetched_at{};
  // When a token's unknown key last made the keys be fetched: at most once per cooldown, and the
  // first time at once, even right after the first fetch (a rollover may follow a start).
  std::optional<clock_point> unknown_key_fetched_at;
  std::optional<clock_point> failed_at;
  std::string last_failure;
  bool fetching = false;
  std::vector<callback> waiters;
  std::atomic<std::size_t> metadata_count{0};
  std::atomic<std::size_t> jwks_count{0};

  // Completes a fetch (`full`: metadata and keys; else keys only), stores the outcome and answers
  // everyone who waited for it.
  void finish(result<snapshot_ptr, std::string> outcome, bool full) {
    std::vector<callback> waiting;
    snapshot_ptr answer;
    {
      std::lock_guard lock(mutex);
      fetching = false;
      waiting.swap(waiters);
      auto now = options.clock();
      if (outcome) {
        if (full) fetched_at = now;
        current = *outcome;
        failed_at.reset();
      } else {
        failed_at = now;
        last_failure = outcome.error();
        log_warning("Could not refresh the authority's metadata or keys", {{"authority", authority}, {"error", outcome.error()}});
      }
      answer = current;
    }
    for (auto& w : waiting) {
      if (answer) {
        w(answer); // a failed refresh still serves the last good snapshot
      } else {
        w(failure{outcome ? std::string() : outcome.error()});
      }
    }
  }

  void fetch_keys(provider_metadata metadata, bool full) {
    jwks_count.fetch_add(1);
    auto self = shared_from_this();
    auto jwks_uri = metadata.jwks_uri;
    fetch(jwks_uri, [self, metadata = std::move(metadata), jwks_uri, full](result<std::string, std::string> body) mutable {
      if (!body) return self->finish(failure{"cannot fetch the signing keys from " + jwks_uri + ": " + body.error()}, full);
      auto keys = key_set::parse(*body);
      if (!keys) return self->finish(failure{"the signing keys at " + jwks_uri + " are unusable: " + keys.error()}, full);
      for (const auto& skipped : keys->skipped()) log_debug("Skipped a signing key", {{"jwks_uri", jwks_uri}, {"reason", skipped}});
      self->finish(snapshot_ptr(std::make_shared<authority_snapshot>(authority_snapshot{std::move(metadata), std::move(*keys)})), full);
    });
  }

  void fetch_everything() {
    metadata_count.fetch_add(1);
    auto self = shared_from_this();
    auto address = metadata_address(authority);
    fetch(address, [self, address](result<std::string, std::string> body) {
      if (!body) return self->finish(failure{"cannot fetch the authority's metadata from " + address + ": " + body.error()}, true);
      auto metadata = parse_provider_metadata(*body);
      if (!metadata) return self->finish(failure{address + ": " + metadata.error()}, true);
      if (!issuer_belongs_to_authority(metadata->issuer, self->authority))
        return self->finish(failure{address + " names the issuer \"" + metadata->issuer.substr(0, 200) +
                                    "\", which is not this authority: check the authority in the settings (a document that names "
                                    "another issuer is not used)"},
                            true);
      self->fetch_keys(std::move(*metadata), true);
    });
  }

  // Under the lock: may a new fetch start now, given a recent failure?
  bool backing_off(clock_point now) const { return failed_at && now - *failed_at < options.failure_backoff; }

  enum class action { answer, wait, fetch_all, fetch_keys };

  void request(callback done, bool unknown_key) {
    action next = action::answer;
    snapshot_ptr answer;
    std::string error;
    {
      std::lock_guard lock(mutex);
      auto now = options.clock();
      if (fetching) {
        next = action::wait;
      } else if (backing_off(now)) {
        next = action::answer; // serve what we have (or the failure) without asking the authority again
      } else if (!current || now - fetched_at >= options.refresh_interval) {
        next = action::fetch_all;
      } else if (unknown_key && (!unknown_key_fetched_at || now - *unknown_key_fetched_at >= options.unknown_key_cooldown)) {
        next = action::fetch_keys;
        unknown_key_fetched_at = now; // the cooldown counts attempts, not successes
      }
      answer = current;
      error = last_failure;
      if (next != action::answer) {
        waiters.push_back(std::move(done));
        if (next != action::wait) fetching = true;
      }
    }
    switch (next) {
    case action::answer:
      if (answer) {
        done(answer);
      } else {
        done(failure{"the authority's metadata is not available: " + error});
      }
      return;
    case action::wait: return;
    case action::fetch_all: return fetch_everything();
    case action::fetch_keys: return fetch_keys(answer->metadata, false);
    }
  }
};

authority_cache::authority_cache(std::string authority, fetch_function fetch, authority_cache_options options) : state_(std::make_shared<state>()) {
  state_->authority = std::move(authority);
  state_->fetch = std::move(fetch);
  state_->options = std::move(options);
}

authority_cache::~authority_cache() = default;

void authority_cache::get(callback done) { state_->request(std::move(done), false); }
void authority_cache::refresh_for_unknown_key(callback done) { state_->request(std::move(done), true); }
std::size_t authority_cache::metadata_fetches() const noexcept { return state_->metadata_count.load(); }
std::size_t authority_cache::jwks_fetches() const noexcept { return state_->jwks_count.load(); }

} // namespace onbehalf::identity
