#include "onbehalf/actors/downstream_api.hpp"

#include "downstream/resilient_send.hpp"
#include "tokens/token_in_place.hpp"

#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/http/www_authenticate.hpp"
#include "onbehalf/identity/authorize.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

namespace onbehalf::actors {

namespace {

using steady = std::chrono::steady_clock;

// base_url + relative_path + query: one slash between them, the configured and per-call query
// parameters percent-encoded after any query the relative path already has.
std::string url_of(const downstream_call_options& o) {
  std::string url = o.base_url;
  while (url.ends_with('/')) url.pop_back();
  std::string_view path = o.relative_path;
  while (path.starts_with('/')) path.remove_prefix(1);
  if (!path.empty()) url += "/" + std::string(path);
  for (const auto& [name, value] : o.extra_query_parameters) {
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += text::percent_encode(name) + "=" + text::percent_encode(value);
  }
  return url;
}

token_acquisition_options token_options_of(const config::acquire_token_options& c) {
  token_acquisition_options t;
  t.force_refresh = c.force_refresh;
  t.claims = c.claims;
  t.tenant = c.tenant;
  t.user_flow = c.user_flow;
  t.correlation_id = c.correlation_id;
  t.managed_identity = c.managed_identity;
  for (const auto& [name, value] : c.extra_query_parameters) t.extra_query_parameters.emplace_back(name, value);
  return t;
}

// Entra sends a CAE claims challenge base64-encoded; other servers may send the JSON itself.
std::string decoded_claims(std::string_view claims) {
  if (auto decoded = base64::decode(claims); decoded && decoded->starts_with('{')) return *decoded;
  if (auto decoded = base64::decode(claims, base64::alphabet::url); decoded && decoded->starts_with('{')) return *decoded;
  return std::string(claims);
}

// What a 401 or 403 asks for, when it is a challenge the user or a fresh token can answer.
struct api_challenge {
  std::string claims;              // 401 insufficient_claims: a claims request (continuous access evaluation)
  std::vector<std::string> scopes; // 403 insufficient_scope: the scopes the operation needs
  bool sign_in_again = false;      // 401 proposedAction="login": a middle tier's authority wants the user back
};

std::optional<api_challenge> challenge_in(const http::client_response& r) {
  if (r.status != 401 && r.status != 403) return std::nullopt;
  for (const auto& c : http::www_authenticate_challenges(r.headers)) {
    if (!text::iequals(c.scheme, "Bearer")) continue;
    auto error = c.param("error").value_or("");
    if (r.status == 401 && error == "insufficient_claims") {
      if (auto claims = c.param("claims"); claims && !claims->empty()) return api_challenge{decoded_claims(*claims), {}};
    }
    // A middle tier whose on-behalf-of grant needs the user to sign in again (MIW's proposedAction).
    if (r.status == 401 && c.param("proposedAction") == std::optional<std::string_view>("login")) return api_challenge{{}, {}, true};
    if (r.status == 403 && error == "insufficient_scope") {
      api_challenge found;
      auto scope = std::string(c.param("scope").value_or(""));
      for (auto s : text::split(scope, ' ')) {
        if (s.empty()) continue;
        if (!identity::is_scope_token(s)) {
          log_warning("An API's 403 named a scope that is not a valid scope; it is left out", {{"scope", s}});
          continue;
        }
        found.scopes.emplace_back(s);
      }
      if (!found.scopes.empty()) return found;
    }
  }
  return std::nullopt;
}

// The resource a scope belongs to: "api://x/read" → "api://x"; a bare name ("Mail.Read") names none.
std::string_view resource_of(std::string_view scope) {
  auto slash = scope.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : scope.substr(0, slash);
}

// What the user is asked to consent to when an API refuses for want of consent. An API's own
// scopes are asked for as named: incremental consent. A middle tier names the scopes of an API
// behind it — on another resource than the scopes this app calls it with — which this app cannot
// ask for on the middle tier's behalf: the user consents to those along with this app's own
// scopes for the middle tier (Entra's combined consent, for a middle tier that lists this app
// among its known clients), so those are asked for again. Bare names on either side ("Mail.Read":
// Graph's, by Entra's convention, or another provider's) cannot be told apart: taken as the API's.
std::vector<std::string> scopes_to_consent(const std::vector<std::string>& named, const std::vector<std::string>& configured) {
  if (named.empty()) return configured;
  bool any_bare = std::any_of(configured.begin(), configured.end(), [](const std::string& c) { return resource_of(c).empty(); });
  bool own = any_bare || std::all_of(named.begin(), named.end(), [&](const std::string& s) {
               auto resource = resource_of(s);
               return resource.empty() ||
                      std::any_of(configured.begin(), configured.end(), [&](const std::string& c) { return resource_of(c) == resource; });
             });
  return own ? named : configured;
}

// An app token is asked for with one scope: Entra's "{resource}/.default", or whatever scope
// another provider grants apps.
bool is_app_scope(const std::vector<std::string>& scopes) { return scopes.size() == 1; }

} // namespace

struct downstream_api::impl {
  std::atomic<token_service*> tokens{nullptr};
  std::atomic<http::client*> web{nullptr};
  mutable std::mutex mutex;
  std::map<std::string, config::downstream_api_options, text::iless> apis; // names compare without case
  std::map<std::string, downstream_statistics::per_api, std::less<>> stats;

  impl(token_service* t, http::client* w) : tokens(t), web(w) {}

  template <class Change>
  void count(const std::string& api, Change change) {
    std::lock_guard lock(mutex);
    auto& s = stats[api];
    s.api = api;
    change(s);
  }
};

downstream_api::downstream_api(token_service& tokens, http::client& web) : impl_(std::make_shared<impl>(&tokens, &web)) {}
downstream_api::downstream_api() : impl_(std::make_shared<impl>(nullptr, nullptr)) {}

void downstream_api::attach(token_service& tokens, http::client& web) {
  impl_->tokens = &tokens;
  impl_->web = &web;
}

void downstream_api::detach() {
  impl_->tokens = nullptr;
  impl_->web = nullptr;
}
downstream_api::~downstream_api() = default;

void downstream_api::add_all(const std::vector<config::downstream_api_options>& apis) {
  for (const auto& api : apis) add(api);
}

void downstream_api::add(config::downstream_api_options api) {
  std::lock_guard lock(impl_->mutex);
  auto key = api.name;
  impl_->apis.insert_or_assign(std::move(key), std::move(api));
}

const config::downstream_api_options* downstream_api::find(std::string_view name) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->apis.find(name);
  return it == impl_->apis.end() ? nullptr : &it->second;
}

downstream_api::prepared_call downstream_api::configured(std::string_view api) const {
  const auto* found = find(api);
  if (!found)
    return failure{call_failure(configuration_error{"DownstreamApis:" + std::string(api), "no downstream API named '" + std::string(api) +
                                                                                              "' is configured (add it under DownstreamApis)"})};
  return std::unique_ptr<downstream_call_options>(new downstream_call_options{*found, {}, {}}); // copied into place
}

downstream_statistics downstream_api::statistics() const {
  std::lock_guard lock(impl_->mutex);
  downstream_statistics out;
  for (const auto& [name, s] : impl_->stats) out.apis.push_back(s);
  return out;
}

task<call_result<api_response>> downstream_api::send(std::optional<signed_in_user> user, prepared_call prepared, std::optional<std::string> body) {
  if (!prepared) co_return failure{std::move(prepared.error())};
  auto& o = **prepared;
  auto impl = impl_; // the call may outlive a handler's reference to this object, never the object's state
  auto* tokens = impl->tokens.load();
  auto* web = impl->web.load();
  if (!tokens || !web)
    co_return failure{call_failure(configuration_error{"DownstreamApis", "downstream APIs are called only once the host or factory has started"})};
  const auto started = steady::now();
  auto api = o.name;
  auto finish = [&](auto change) {
    impl->count(api, [&](downstream_statistics::per_api& s) {
      ++s.calls;
      s.seconds += std::chrono::duration<double>(steady::now() - started).count();
      change(s);
    });
  };
  bool app_token = o.request_app_token || !user;
  if (app_token && !is_app_scope(o.scopes)) {
    finish([](auto& s) { ++s.token_failures; });
    co_return failure{call_failure(
        configuration_error{"DownstreamApis:" + api + ":Scopes",
                            "a call as the app needs exactly one scope (with Entra ID: the API's .default scope, like api://my-api-id/.default)"})};
  }
  auto token_options = token_options_of(o.token_options);
  // Built once: for the authority (when a token must be fetched) and for the API.
  std::string traceparent = user && !user->trace().empty() ? user->trace().traceparent() : std::string();
  token_options.traceparent = traceparent;
  auto correlation_id = user ? user->correlation_id() : std::string();
  // A claims challenge from the API is answered once with a token that satisfies it; if the
  // authority needs the user for that, or the API asks again, the challenge goes to the user.
  for (int attempt = 0;; ++attempt) {
    call_result<access_token> token = failure{call_failure(service_error{})};
    // Not `app ? co_await a : co_await b`: g++ 12 destroys temporaries twice around that form.
    if (app_token) {
      token = co_await acquire_token_for_app(*tokens, o.scopes.front(), token_options);
    } else {
      token = co_await detail::acquire_user_token_in_place(*tokens, *user, o.scopes, token_options);
    }
    if (!token) {
      auto& f = token.error();
      if (auto* c = f.as<challenge>(); c && c->claims.empty()) c->claims = token_options.claims;
      if (auto* e = f.as<configuration_error>(); e && e->key == "DownstreamApis:{name}:Scopes") e->key = "DownstreamApis:" + api + ":Scopes";
      finish([&](auto& s) { f.is<challenge>() ? ++s.challenges : ++s.token_failures; });
      co_return failure{std::move(f)};
    }
    http::client_request request;
    request.method = o.http_method;
    request.url = url_of(o);
    if (!o.accept_header.empty()) request.headers.set("Accept", o.accept_header);
    if (body) {
      request.headers.set("Content-Type", o.content_type);
      request.body = *body;
    }
    for (const auto& [name, value] : o.extra_header_parameters) request.headers.set(name, value);
    const auto& bearer = token->token.reveal();
    std::string authorization;
    authorization.reserve(o.protocol_scheme.size() + 1 + bearer.size()); // a token is a kilobyte or more: copied once
    authorization.append(o.protocol_scheme).append(1, ' ').append(bearer);
    request.headers.set("Authorization", std::move(authorization));
    if (!correlation_id.empty()) request.headers.set("X-Correlation-ID", correlation_id);
    if (traceparent.empty()) {
      request.headers.set("traceparent", http::new_trace().traceparent()); // a call outside a request starts a trace
    } else {
      request.headers.set("traceparent", traceparent);
      if (!user->trace().state.empty()) request.headers.set("tracestate", user->trace().state);
    }
    request.cancel_with = o.cancel_with ? o.cancel_with : user ? user->request_aborted() : nullptr;
    if (o.customize_request) o.customize_request(request);

    auto outcome = co_await detail::send_with_retries(*web, std::move(request), detail::send_policy::of(o));
    if (outcome.retries > 0) {
      log_info("A downstream API call was sent again", {{"cid", correlation_id}, {"api", api}, {"retries", outcome.retries}});
      impl->count(api, [&](downstream_statistics::per_api& s) { s.retries += outcome.retries; });
    }
    auto& reply = outcome.reply;
    if (!reply && reply.error().error == http::client_error::cancelled) {
      log_info("A downstream API call was stopped: the request it was made for was abandoned by its client", {{"cid", correlation_id}, {"api", api}});
      finish([](auto& s) { ++s.cancelled; });
      co_return failure{call_failure(downstream_unreachable{api, reply.error().error, reply.error().message})};
    }
    if (!reply) {
      log_warning("A downstream API could not be reached", {{"cid", correlation_id}, {"api", api}, {"reason", reply.error().message}});
      finish([](auto& s) { ++s.unreachable; });
      co_return failure{call_failure(downstream_unreachable{api, reply.error().error, reply.error().message})};
    }
    if (reply->status / 100 == 2) {
      finish([](auto& s) { ++s.succeeded; });
      co_return api_response{reply->status, std::move(reply->headers), std::move(reply->body)};
    }
    auto asked = challenge_in(*reply);
    if (asked && !asked->claims.empty() && attempt == 0 && token_options.claims != asked->claims) {
      token_options.claims = asked->claims;
      continue;
    }
    // What an app's token lacks, no user can consent to or satisfy (an administrator grants app
    // roles): the API's refusal goes to the handler as it is, never as a user's challenge.
    if (asked && app_token) {
      log_warning("An API refused the app's own token with a challenge; an administrator must grant what it asks for",
                  {{"cid", correlation_id}, {"api", api}, {"status", std::to_string(reply->status)}, {"scopes", text::join(asked->scopes, " ")}});
    } else if (asked) {
      challenge c;
      c.scopes = scopes_to_consent(asked->scopes, o.scopes);
      c.claims = asked->claims;
      c.reason = asked->sign_in_again    ? identity::interaction_reason::login_required
                 : asked->claims.empty() ? identity::interaction_reason::consent_required
                                         : identity::interaction_reason::claims_challenge;
      if (user) c.login_hint = user->login_hint();
      c.detail = "the API " + api + " answered " + std::to_string(reply->status) + " with a challenge";
      finish([](auto& s) { ++s.challenges; });
      co_return failure{call_failure(std::move(c))};
    }
    finish([](auto& s) { ++s.error_statuses; });
    downstream_error e;
    e.api = api;
    e.status = reply->status;
    e.body = std::move(reply->body);
    if (e.body.size() > downstream_error::max_error_body) e.body.resize(downstream_error::max_error_body);
    e.headers = std::move(reply->headers);
    co_return failure{call_failure(std::move(e))};
  }
}

} // namespace onbehalf::actors
