#include "web_api/bearer_admission.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/core/untrusted_time.hpp"
#include "onbehalf/http/www_authenticate.hpp"
#include "onbehalf/identity/access_token.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>

namespace onbehalf::actors {

namespace {

using clock = std::chrono::system_clock;

// What a validated token says about its caller, held until the token expires.
struct caller {
  std::shared_ptr<const http::principal> user;
  std::vector<std::string> scopes;      // a user's delegated scopes
  std::vector<std::string> permissions; // an application's: its app roles (or an RFC 9068 app token's scopes)
  clock::time_point expires;
};
using caller_ptr = std::shared_ptr<const caller>;

// Entra's app tokens carry roles and no scopes; RFC 9068's name the client as their subject.
bool is_application(const identity::json_object& claims, const std::vector<std::string>& scopes) {
  if (claims.string("idtyp") == std::optional<std::string>("app")) return true;
  auto client = claims.string("client_id");
  return scopes.empty() || (client && client == claims.string("sub"));
}

caller_ptr caller_of(const identity::json_object& claims, const std::string& digest) {
  auto c = std::make_shared<caller>();
  auto scopes = identity::scopes_of(claims);
  auto user = std::make_shared<http::principal>();
  user->home_account_id = identity::home_account_id(claims);
  user->claims = identity::flatten_claims(claims);
  user->is_app = is_application(claims, scopes);
  user->by_access_token = true;
  user->access_token_digest = base64::encode(digest, base64::alphabet::url);
  c->permissions = identity::roles_of(claims);
  if (user->is_app) {
    c->permissions.insert(c->permissions.end(), scopes.begin(), scopes.end());
  } else {
    c->scopes = std::move(scopes);
  }
  c->user = std::move(user);
  c->expires = instant_from_untrusted(claims.integer("exp").value_or(0));
  return c;
}

bool holds_one_of(const std::vector<std::string>& held, const std::vector<std::string>& wanted) {
  return std::any_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
    return std::any_of(held.begin(), held.end(), [&](const std::string& h) { return text::iequals(h, w); });
  });
}

// The caller's token does not carry what the route asks for: why, in plain words; nullopt when it does.
std::optional<std::string> lacking(const http::token_requirement& r, const caller& c, bool allow_neither) {
  if (c.user->is_app) {
    if (r.app_permissions.empty() && !r.scopes.empty()) return "this API accepts users' tokens here, not an application's";
    if (!r.app_permissions.empty() && !holds_one_of(c.permissions, r.app_permissions))
      return "the application's token has none of the app permissions " + text::join(r.app_permissions, ", ");
    if (r.app_permissions.empty() && c.permissions.empty() && !allow_neither) return "the token carries neither scopes nor app roles";
    return std::nullopt;
  }
  if (r.scopes.empty() && !r.app_permissions.empty()) return "this API accepts applications' tokens here, not a user's";
  if (!r.scopes.empty() && !holds_one_of(c.scopes, r.scopes)) return "the token has none of the scopes " + text::join(r.scopes, ", ");
  if (c.scopes.empty() && !allow_neither) return "the token carries neither scopes nor app roles";
  return std::nullopt;
}

// The reason class a refused token's client is told: enough to act on, nothing of the token.
std::string_view description_of(identity::token_rejection r) {
  using identity::token_rejection;
  switch (r) {
  case token_rejection::expired: return "the token expired";
  case token_rejection::not_yet_valid:
  case token_rejection::issued_in_future: return "the token is not valid yet";
  case token_rejection::wrong_audience:
  case token_rejection::wrong_authorized_party: return "the token is for another audience";
  case token_rejection::wrong_issuer: return "the token is from another issuer";
  case token_rejection::wrong_tenant: return "the token's tenant is not admitted";
  case token_rejection::unknown_key:
  case token_rejection::bad_signature: return "the token's signature does not verify";
  case token_rejection::missing_claim: return "the token lacks a required claim";
  case token_rejection::malformed:
  case token_rejection::unsupported_algorithm:
  case token_rejection::wrong_type:
  case token_rejection::wrong_nonce: break;
  }
  return "the token is not an access token this API reads";
}

http::response bearer_answer(unsigned status, std::string challenge, std::string_view message) {
  auto r = http::response::error(status, message);
  r.headers.set("WWW-Authenticate", std::move(challenge));
  return r;
}

http::response invalid_token(std::string_view description) {
  return bearer_answer(401, "Bearer error=\"invalid_token\", error_description=" + http::quoted_string(description),
                       std::string("The access token was refused: ") + std::string(description) + ".");
}

} // namespace

struct bearer_admission::state : std::enable_shared_from_this<state> {
  bearer_admission_options options;
  identity::authority_cache& authority;

  struct shard {
    std::mutex mutex;
    std::unordered_map<std::string, caller_ptr> by_digest;
  };
  std::array<shard, 16> shards;
  std::atomic<std::uint64_t> verified{0}, remembered{0}, refused{0}, forbidden{0};

  state(bearer_admission_options o, identity::authority_cache& a) : options(std::move(o)), authority(a) {}

  shard& shard_of(const std::string& digest) { return shards[static_cast<unsigned char>(digest[0]) % shards.size()]; }

  caller_ptr recall(const std::string& digest, clock::time_point now) {
    auto& s = shard_of(digest);
    std::lock_guard lock(s.mutex);
    auto it = s.by_digest.find(digest);
    if (it == s.by_digest.end()) return nullptr;
    if (it->second->expires <= now) {
      s.by_digest.erase(it);
      return nullptr;
    }
    return it->second;
  }

  // Bounded: a full shard first lets its expired tokens go, then any one.
  void remember(const std::string& digest, caller_ptr c, clock::time_point now) {
    auto& s = shard_of(digest);
    auto capacity = std::max<std::size_t>(1, options.remembered_tokens / shards.size());
    std::lock_guard lock(s.mutex);
    if (s.by_digest.size() >= capacity) std::erase_if(s.by_digest, [now](const auto& e) { return e.second->expires <= now; });
    if (s.by_digest.size() >= capacity) s.by_digest.erase(s.by_digest.begin());
    s.by_digest.insert_or_assign(digest, std::move(c));
  }

  void refuse(const http::exchange_ptr& x, http::response r) {
    refused.fetch_add(1, std::memory_order_relaxed);
    x->respond(std::move(r));
  }

  void admit_caller(const http::route& matched, const http::exchange_ptr& x, const std::function<void()>& proceed, const caller& c) {
    if (auto why = lacking(*matched.bearer, c, options.allow_tokens_without_scopes_or_roles)) {
      forbidden.fetch_add(1, std::memory_order_relaxed);
      std::string challenge = "Bearer error=\"insufficient_scope\", error_description=" + http::quoted_string(*why);
      const auto& wanted = c.user->is_app ? matched.bearer->app_permissions : matched.bearer->scopes;
      if (!wanted.empty()) challenge += ", scope=" + http::quoted_string(text::join(wanted, " "));
      x->respond(bearer_answer(403, std::move(challenge), "The access token does not allow this: " + *why + "."));
      return;
    }
    x->user = c.user;
    proceed();
  }

  void validate(const http::route& matched, const http::exchange_ptr& x, std::function<void()> proceed, std::string token, std::string digest,
                bool may_refetch_keys) {
    auto self = shared_from_this();
    auto on_authority = [self, &matched, x, proceed = std::move(proceed), token = std::move(token), digest = std::move(digest),
                         may_refetch_keys](result<identity::authority_cache::snapshot_ptr, std::string> a) mutable {
      if (!a) {
        log_warning("Could not check an access token: the authority's keys are unavailable",
                    {{"cid", x->req().correlation_id}, {"error", a.error()}});
        auto r = http::response::error(503, "This API cannot check access tokens right now: the authority cannot be reached. Try again shortly.");
        r.headers.set("Retry-After", "30");
        x->respond(std::move(r));
        return;
      }
      identity::access_token_rules rules;
      rules.issuer = (*a)->metadata.issuer;
      rules.audiences = self->options.audiences;
      rules.allowed_tenants = self->options.allowed_tenants;
      rules.clock_skew = self->options.clock_skew;
      auto claims = identity::validate_access_token(token, (*a)->keys, rules);
      if (!claims && claims.error().reason == identity::token_rejection::unknown_key && may_refetch_keys) {
        return self->authority.refresh_for_unknown_key(
            [self, &matched, x, proceed = std::move(proceed), token = std::move(token), digest = std::move(digest)](auto) mutable {
              self->validate(matched, x, std::move(proceed), std::move(token), std::move(digest), false);
            });
      }
      if (!claims) {
        log_info("Refused an access token",
                 {{"cid", x->req().correlation_id}, {"reason", identity::to_string(claims.error().reason)}, {"detail", claims.error().message}});
        return self->refuse(x, invalid_token(description_of(claims.error().reason)));
      }
      self->verified.fetch_add(1, std::memory_order_relaxed);
      auto c = caller_of(*claims, digest);
      self->remember(digest, c, clock::now());
      self->admit_caller(matched, x, proceed, *c);
    };
    authority.get(std::move(on_authority));
  }
};

bearer_admission::bearer_admission(bearer_admission_options options, identity::authority_cache& authority)
    : state_(std::make_shared<state>(std::move(options), authority)) {}

bearer_admission::~bearer_admission() = default;

void bearer_admission::admit(const http::route& matched, const http::exchange_ptr& x, std::function<void()> proceed) const {
  auto token = http::bearer_token_of(x->req());
  if (!token) {
    return state_->refuse(x, bearer_answer(401, "Bearer", "This API needs an access token: send it as Authorization: Bearer <token>."));
  }
  if (token->empty()) {
    return state_->refuse(x, bearer_answer(400, "Bearer error=\"invalid_request\", error_description=\"malformed Authorization header\"",
                                           "The Authorization header is malformed: send one, as Authorization: Bearer <token>."));
  }
  // Tokens are remembered by their digest: a request that repeats one costs a hash, not an RSA
  // verification, and no token is kept in memory once its request is done.
  auto digest = crypto::sha256(*token);
  if (auto known = state_->recall(digest, clock::now())) {
    state_->remembered.fetch_add(1, std::memory_order_relaxed);
    return state_->admit_caller(matched, x, proceed, *known);
  }
  state_->validate(matched, x, std::move(proceed), std::string(*token), std::move(digest), true);
}

bearer_admission::statistics bearer_admission::counts() const {
  return {state_->verified.load(), state_->remembered.load(), state_->refused.load(), state_->forbidden.load()};
}

std::size_t bearer_admission::held() const {
  std::size_t n = 0;
  for (auto& s : state_->shards) {
    std::lock_guard lock(s.mutex);
    n += s.by_digest.size();
  }
  return n;
}

} // namespace onbehalf::actors
