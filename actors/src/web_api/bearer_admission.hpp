// Admission to web API routes (MIW's AddMicrosoftIdentityWebApi and JwtBearer): the caller's
// `Authorization: Bearer` access token is validated against the authority's keys (a key it does
// not know yet is fetched once), issuer, audiences, lifetime and tenant, then held for requests
// that repeat it: the signature of a token a client sends a thousand times is checked once.
// Refusals are RFC 6750's: 401 with error="invalid_token" and a reason class, never the token's
// details; 403 with error="insufficient_scope" and the scopes the route asks for.
#pragma once

#include "onbehalf/http/exchange.hpp"
#include "onbehalf/http/router.hpp"
#include "onbehalf/identity/authority_cache.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace onbehalf::actors {

struct bearer_admission_options {
  std::vector<std::string> audiences;                // ClientId, api://{ClientId}, AzureAd:Audience
  std::vector<std::string> allowed_tenants;          // AzureAd:AllowedTenants
  bool allow_tokens_without_scopes_or_roles = false; // AzureAd:AllowWebApiToBeAuthorizedByACL
  std::size_t remembered_tokens = 16'384;            // validated tokens held until they expire
  std::chrono::seconds clock_skew{300};
};

class bearer_admission {
public:
  bearer_admission(bearer_admission_options options, identity::authority_cache& authority);
  ~bearer_admission();
  bearer_admission(const bearer_admission&) = delete;
  bearer_admission& operator=(const bearer_admission&) = delete;

  /// For a route with `bearer` set: sets x->user (is_app for applications' tokens) and proceeds,
  /// or answers 400, 401, 403 or 503.
  void admit(const http::route& matched, const http::exchange_ptr& x, std::function<void()> proceed) const;

  struct statistics {
    std::uint64_t verified = 0;   // tokens whose signature was checked and found good
    std::uint64_t remembered = 0; // requests admitted on a token validated before
    std::uint64_t refused = 0;    // 400 and 401: no token, or not a good one
    std::uint64_t forbidden = 0;  // 403: a good token without what the route asks for
  };
  statistics counts() const;
  std::size_t held() const; // validated tokens held now

  struct state;

private:
  std::shared_ptr<state> state_;
};

} // namespace onbehalf::actors
