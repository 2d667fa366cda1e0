#include "onbehalf/actors/host.hpp"

#include "hosting/live_pages.hpp"
#include "web_api/bearer_admission.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "onbehalf/actors/front.hpp"
#include "onbehalf/actors/session_service.hpp"
#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/actors/web_authentication.hpp"
#include "onbehalf/config/load.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/stop_signals.hpp"
#include "onbehalf/http/cross_origin.hpp"
#include "onbehalf/http/metrics.hpp"
#include "onbehalf/http/server.hpp"
#include "onbehalf/json/value.hpp"

#include <unistd.h> // environ

namespace onbehalf::actors {

namespace {

http::server_options server_options_from(const config::host_options& h) {
  http::server_options o;
  o.address = h.listen_address;
  o.port = h.port;
  o.tls_certificate_path = h.tls.certificate_path;
  o.tls_key_path = h.tls.key_path;
  o.io_threads = h.io_threads;
  o.limits.max_request_header_bytes = h.limits.max_request_header_bytes;
  o.limits.max_request_body_bytes = h.limits.max_request_body_bytes;
  o.limits.request_headers_timeout = h.limits.request_headers_timeout;
  o.limits.keep_alive_timeout = h.limits.keep_alive_timeout;
  o.limits.shutdown_timeout = h.limits.shutdown_timeout;
  o.limits.max_connections = h.limits.max_connections;
  o.limits.max_websocket_message_bytes = h.limits.max_websocket_message_bytes;
  o.limits.max_websocket_backlog_bytes = h.limits.max_websocket_backlog_bytes;
  return o;
}

// Cookies need keys even with an in-memory cache; without configured ones a random key serves
// this process only, so sign-ins end when it restarts.
result<key_ring, std::string> cookie_keys(const config::host_options& h) {
  const auto& configured = h.sign_in.cookie_keys.empty() ? h.cache.encryption_keys : h.sign_in.cookie_keys;
  if (!configured.empty()) return config::make_key_ring(configured);
  log_warning("No cookie keys are configured (Onbehalf:SignIn:CookieEncryptionKeys); sign-ins will end when this process restarts");
  return key_ring::make({{"ephemeral", secret(crypto::random_bytes(32))}});
}

// Cache and session figures for /metrics, after the request series.
std::string cache_metrics(const cache::memory_cache& l1, const cache::durable_store* l2, const session_service& sessions, const live_pages& live,
                          const token_service& tokens) {
  auto s = l1.statistics();
  std::string out;
  auto metric = [&out](const char* name, const char* help, const char* type, std::string labels, std::size_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + labels + " " + std::to_string(value) + "\n";
  };
  metric("onbehalf_cache_l1_entries", "Entries in the in-memory cache.", "gauge", "", s.entries);
  metric("onbehalf_cache_l1_bytes", "Bytes the in-memory cache holds, bookkeeping included.", "gauge", "", s.bytes);
  metric("onbehalf_cache_l1_hits_total", "In-memory cache lookups that found a value.", "counter", "", s.hits);
  metric("onbehalf_cache_l1_misses_total", "In-memory cache lookups that found nothing.", "counter", "", s.misses);
  metric("onbehalf_cache_l1_evictions_total", "Entries evicted to stay within the memory limit.", "counter", "", s.evictions);
  if (l2)
    metric("onbehalf_cache_l2_failures_total",
           "Requests to the shared or persistent cache that failed; users were served from memory and the authority.", "counter",
           std::string("{store=\"") + l2->kind() + "\"}", l2->failures());
  metric("onbehalf_session_actors", "Session actors alive: accounts active within the idle timeout.", "gauge", "", sessions.live_actors());
  metric("onbehalf_live_pages", "Live pages (WebSockets) of signed-in users open now.", "gauge", "", live.open());
  metric("onbehalf_token_actors", "Token actors alive: one per tenant and resource asked for.", "gauge", "", tokens.live_actors());
  return out;
}

// Web API routes: the bearer tokens their callers presented, by what became of them.
std::string bearer_metrics(const bearer_admission& bearer) {
  auto c = bearer.counts();
  std::string out = "# HELP onbehalf_bearer_tokens_total Web API requests by what became of their bearer token: verified (signature checked), "
                    "remembered (validated before), refused (401/400), forbidden (403).\n# TYPE onbehalf_bearer_tokens_total counter\n";
  for (auto [outcome, n] : {std::pair{"verified", c.verified}, {"remembered", c.remembered}, {"refused", c.refused}, {"forbidden", c.forbidden}})
    out += std::string("onbehalf_bearer_tokens_total{outcome=\"") + outcome + "\"} " + std::to_string(n) + "\n";
  out += "# HELP onbehalf_bearer_tokens_held Validated bearer tokens held until they expire.\n# TYPE onbehalf_bearer_tokens_held gauge\n";
  return out + "onbehalf_bearer_tokens_held " + std::to_string(bearer.held()) + "\n";
}

// Downstream calls per API and outcome, and the time they took (token acquisition included).
std::string downstream_metrics(const downstream_statistics& stats) {
  if (stats.apis.empty()) return {};
  std::string out =
      "# HELP onbehalf_downstream_calls_total Downstream API calls by API and outcome.\n# TYPE onbehalf_downstream_calls_total counter\n";
  for (const auto& a : stats.apis) {
    auto line = [&](const char* outcome, std::size_t n) {
      out += "onbehalf_downstream_calls_total{api=\"" + a.api + "\",outcome=\"" + outcome + "\"} " + std::to_string(n) + "\n";
    };
    line("success", a.succeeded);
    line("challenge", a.challenges);
    line("error_status", a.error_statuses);
    line("unreachable", a.unreachable);
    line("cancelled", a.cancelled);
    line("token_failure", a.token_failures);
  }
  out += "# HELP onbehalf_downstream_retries_total Downstream requests sent again, the API having been unreachable or busy.\n"
         "# TYPE onbehalf_downstream_retries_total counter\n";
  for (const auto& a : stats.apis) out += "onbehalf_downstream_retries_total{api=\"" + a.api + "\"} " + std::to_string(a.retries) + "\n";
  out += "# HELP onbehalf_downstream_call_seconds Time spent in downstream calls, token acquisition included.\n# TYPE "
         "onbehalf_downstream_call_seconds summary\n";
  for (const auto& a : stats.apis) {
    out += "onbehalf_downstream_call_seconds_sum{api=\"" + a.api + "\"} " + std::to_string(a.seconds) + "\n";
    out += "onbehalf_downstream_call_seconds_count{api=\"" + a.api + "\"} " + std::to_string(a.calls) + "\n";
  }
  return out;
}

} // namespace

struct host::impl {
  std::unique_ptr<token_acquirer_factory> services;
  sign_in_observer observer;
  token_validated_hook on_validated;
  http::router router;
  std::unique_ptr<http::request_metrics> metrics;
  std::unique_ptr<session_service> sessions;
  std::unique_ptr<live_pages> live;
  std::unique_ptr<bearer_admission> bearer;
  std::unique_ptr<web_authentication> authentication;
  std::unique_ptr<front_dispatcher> front;
  std::unique_ptr<http::server> server;
  // Onbehalf:Metrics:Port: /metrics and /healthz on a listener of their own.
  http::router metrics_routes;
  std::unique_ptr<http::inline_dispatcher> metrics_dispatcher;
  std::unique_ptr<http::server> metrics_server;

  const config::app_settings& settings() const { return services->settings(); }

  // Serving goes on while Redis is away (from memory and the authority): the status stays ok,
  // and says what Redis is doing for whoever watches.
  void serve_health(const http::exchange_ptr& x) const {
    auto redis = services->redis_state();
    x->respond(http::response::json(200, redis ? json::serialize(json::object{{"status", "ok"}, {"redis", *redis}}) : "{\"status\":\"ok\"}"));
  }

  void serve_metrics(const http::exchange_ptr& x) const {
    auto r = http::response::text(
        200, metrics->render() + cache_metrics(services->memory_cache(), services->durable_store(), *sessions, *live, services->tokens()) +
                 bearer_metrics(*bearer) + services->redis_metrics() + services->store_metrics() +
                 downstream_metrics(services->downstream_apis().statistics()) + services->tokens().endpoint_metrics().render());
    r.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    x->respond(std::move(r));
  }

  void add_builtin_routes() {
    router.get("/healthz", [this](const http::exchange_ptr& x) { serve_health(x); }).anonymous = true;
    if (settings().host.metrics.own_listener) {
      metrics_routes.get("/metrics", [this](const http::exchange_ptr& x) { serve_metrics(x); });
      metrics_routes.get("/healthz", [this](const http::exchange_ptr& x) { serve_health(x); });
      return;
    }
    // What the app does (its users, routes and timings) is for its operators: on the app's own
    // listener, for this machine only.
    router
        .get("/metrics",
             [this](const http::exchange_ptr& x) {
               if (http::is_local_tool_request(x->req())) return serve_metrics(x);
               x->respond(http::response::error(403,
                                                "Metrics are served only to this machine. To scrape them from elsewhere, set Onbehalf:Metrics:Port "
                                                "(and Onbehalf:Metrics:ListenAddress) to serve them on a listener of their own."));
             })
        .anonymous = true;
  }

  result<bool, std::string> start_metrics_listener() {
    const auto& m = settings().host.metrics;
    if (!m.own_listener) return true;
    http::server_options o;
    o.address = m.listen_address;
    o.port = m.port;
    o.limits.max_connections = 64;
    metrics_dispatcher = std::make_unique<http::inline_dispatcher>(metrics_routes);
    metrics_server = std::make_unique<http::server>(o, *metrics_dispatcher);
    auto started = metrics_server->start();
    if (!started) {
      metrics_server.reset();
      return failure{"Onbehalf:Metrics:Port: the metrics listener could not start: " + started.error()};
    }
    log_info("Serving /metrics on a listener of its own", {{"address", m.listen_address}, {"port", std::to_string(*started)}});
    return true;
  }

  result<bool, std::string> start_services() {
    if (auto built = services->build(); !built) return built;
    const auto& h = settings().host;
    session_service_options s;
    s.cache = &services->memory_cache();
    s.store = services->durable_store();
    s.absolute_lifetime = h.sign_in.absolute_lifetime;
    s.coordination = &services->coordination();
    s.revalidation_interval = h.sign_in.revalidation_interval;
    s.lease_time = h.redis.lease_time;
    sessions = std::make_unique<session_service>(services->system(), s);
    live = std::make_unique<live_pages>(*sessions);
    const auto& as_api = settings().azure_ad;
    bearer_admission_options b;
    b.audiences = {as_api.client_id, "api://" + as_api.client_id};
    if (!as_api.audience.empty()) b.audiences.push_back(as_api.audience);
    b.allowed_tenants = as_api.allowed_tenants;
    b.allow_tokens_without_scopes_or_roles = as_api.allow_web_api_to_be_authorized_by_acl;
    bearer = std::make_unique<bearer_admission>(std::move(b), services->authority());

    auto keys = cookie_keys(h);
    if (!keys) return failure{"Onbehalf:SignIn:CookieEncryptionKeys: " + keys.error()};
    web_authentication_options w;
    w.client_id = settings().azure_ad.client_id;
    w.callback_path = settings().azure_ad.callback_path;
    w.signed_out_callback_path = settings().azure_ad.signed_out_callback_path;
    w.sign_out_path = h.sign_in.sign_out_path;
    w.scopes = h.sign_in.initial_scopes;
    w.mode = h.sign_in.form_post ? identity::response_mode::form_post : identity::response_mode::query;
    w.cookie_keys = std::move(*keys);
    w.trusted_proxies = h.known_proxies;
    w.trusted_origins = h.sign_in.trusted_origins;
    w.allowed_tenants = settings().azure_ad.allowed_tenants;
    w.idle_timeout = h.sign_in.idle_timeout;
    w.correlation_lifetime = h.sign_in.correlation_lifetime;
    w.prompt = h.sign_in.prompt;
    w.client_capabilities = settings().azure_ad.client_capabilities;
    const auto& ad = settings().azure_ad;
    w.authority_for_flow = [services = services.get()](const std::string& flow) { return &services->authority(flow); };
    w.sign_in_flow = ad.sign_up_sign_in_policy_id;
    w.edit_profile_flow = ad.edit_profile_policy_id;
    w.reset_password_flow = ad.reset_password_policy_id;
    authentication = std::make_unique<web_authentication>(std::move(w), services->authority(), services->tokens(), *sessions);
    if (observer) authentication->observe_sign_ins(observer);
    if (on_validated) authentication->on_token_validated(on_validated);
    authentication->add_routes(router);
    return true;
  }

  // A route's ScopeKeySection names configuration; it is read once, here, like every setting.
  // A web API route's scopes and app permissions may be named by configuration keys: read once, here.
  result<bool, std::string> resolve_token_requirements() {
    for (auto& r : router.routes()) {
      if (!r.bearer) continue;
      for (auto [key, into] : {std::pair{&r.bearer->scopes_key, &r.bearer->scopes}, {&r.bearer->app_permissions_key, &r.bearer->app_permissions}}) {
        if (key->empty()) continue;
        auto values = settings().values_at(*key);
        if (values.empty())
          return failure{"the web API route " + r.method + " " + r.pattern + " asks for the scopes or app permissions at " + *key +
                         ", but the configuration sets nothing there"};
        for (auto& v : values)
          if (std::find(into->begin(), into->end(), v) == into->end()) into->push_back(v);
      }
    }
    return true;
  }

  result<bool, std::string> resolve_consent_policies() {
    for (auto& r : router.routes()) {
      if (!r.consent || r.consent->scope_key_section.empty()) continue;
      auto scopes = settings().values_at(r.consent->scope_key_section);
      if (scopes.empty())
        return failure{"the route " + r.method + " " + r.pattern + " asks for the scopes at " + r.consent->scope_key_section +
                       " (authorize_for_scopes), but the configuration sets nothing there"};
      for (auto& scope : scopes)
        if (std::find(r.consent->scopes.begin(), r.consent->scopes.end(), scope) == r.consent->scopes.end()) r.consent->scopes.push_back(scope);
    }
    return true;
  }

  // Where a failure a handler let escape ends: a challenge goes up to a front actor when the
  // route has a consent policy; the rest become pages that say what happened in plain words.
  bool answer_escaped(const http::route& r, const http::exchange_ptr& x, std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const call_exception& escaped) {
      const auto& f = escaped.failure();
      if (const auto* c = f.as<challenge>(); c && r.consent) {
        front->raise(x, *c, *r.consent);
        return true;
      }
      // A web API's caller is a program: it gets the challenge to pass on to its user.
      if (const auto* c = f.as<challenge>(); c && r.bearer) {
        log_info("A downstream API needs the caller's user; the challenge goes back to the caller",
                 {{"cid", x->req().correlation_id}, {"route", r.method + " " + r.pattern}, {"reason", f.message()}});
        x->respond(challenge_for_caller(*c));
        return true;
      }
      if (f.is<challenge>())
        log_error("A handler let a consent challenge escape on a route without a consent policy: add .authorize_for_scopes({...}) to the "
                  "route, or handle the challenge in the handler",
                  {{"cid", x->req().correlation_id}, {"route", r.method + " " + r.pattern}, {"reason", f.message()}});
      x->respond(failure_page(f, x->req()));
      return true;
    } catch (...) {
      return false;
    }
  }

  // A live page's handler runs detached; what it lets escape ends here.
  void run_live(const std::string& page, const live_connection_ptr& c, task<void> t) {
    onbehalf::start(std::move(t), [this, page, c](std::exception_ptr e) { answer_live(page, c, e); });
  }

  void answer_live(const std::string& page, const live_connection_ptr& c, std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const call_exception& escaped) {
      const auto& f = escaped.failure();
      if (const auto* challenged = f.as<challenge>()) {
        const auto& route = router.routes()[c->handshake->route_id];
        front->raise_live(c->socket, c->handshake, *challenged, route.consent.value_or(http::consent_policy{}), page);
        return;
      }
      log_warning("A live page's handler failed", {{"cid", c->handshake->req().correlation_id}, {"reason", f.message()}});
      c->send(json::serialize(json::object{{"type", "error"}, {"message", std::string(user_message(f))}}));
    } catch (const std::exception& ex) {
      log_error("A live page's handler threw an exception", {{"cid", c->handshake->req().correlation_id}, {"error", ex.what()}});
      c->send(json::serialize(json::object{{"type", "error"}, {"message", "The server could not complete the request."}}));
    }
  }

  // Reverse order of construction: nothing is used after it is gone.
  void stop_services() {
    front.reset();
    authentication.reset();
    bearer.reset();
    live.reset();
    sessions.reset();
    services->shutdown();
  }
};

host::host(config::app_settings settings) : impl_(std::make_unique<impl>()) {
  impl_->services = std::make_unique<token_acquirer_factory>(std::move(settings));
}

result<host, std::string> host::from_file(const std::string& path) {
  auto settings = config::settings_from_file(path, environ);
  if (!settings) return failure{settings.error()};
  return host(std::move(*settings));
}

host::host(host&&) noexcept = default;
host& host::operator=(host&&) noexcept = default;

host::~host() {
  if (!impl_) return; // moved from
  stop();
  wait();
}

int host::run() {
  // Before start() makes the first thread, so every thread inherits the mask and sigwait here
  // is the only one to see the signal.
  block_stop_signals();
  if (auto started = start(); !started) {
    log_error("The application did not start: " + started.error());
    return 1;
  }
  log_info("Stop signal received", {{"signal", wait_for_stop_signal()}});
  stop();
  wait();
  return 0;
}

void host::use_durable_store(std::unique_ptr<cache::durable_store> store) { impl_->services->use_durable_store(std::move(store)); }

http::router& host::routes() { return impl_->router; }
void host::observe_sign_ins(sign_in_observer observer) { impl_->observer = std::move(observer); }
void host::on_token_validated(token_validated_hook hook) { impl_->on_validated = std::move(hook); }

http::handler host::live(std::string page, live_handler on_message, live_handler on_open) {
  auto* i = impl_.get();
  // Handlers are often lambda coroutines, whose frames refer to the lambda object: every message's
  // coroutine calls the one copy the route holds, which lives as long as the host.
  auto message_handler = std::make_shared<const live_handler>(std::move(on_message));
  return [i, page = std::move(page), on_message = std::move(message_handler), on_open = std::move(on_open)](const http::exchange_ptr& x) {
    auto connection = std::make_shared<live_connection>();
    connection->handshake = x;
    std::weak_ptr<live_connection> weak = connection;
    // The close handler holds the connection until the socket ends; messages find it through `weak`.
    // Each message first asks whether the page's session is still live (see live_pages.hpp).
    connection->socket = x->accept_websocket(
        [i, page, on_message, weak](std::string text) {
          auto c = weak.lock();
          if (!c) return;
          i->live->if_live(c,
                           [i, page, on_message, c, text = std::move(text)]() mutable { i->run_live(page, c, (*on_message)(c, std::move(text))); });
        },
        [i, connection] { i->live->closed(*connection); });
    if (!connection->socket) return;
    if (x->user)
      if (auto session = i->authentication->session_id_of(x->req())) {
        i->live->opened(connection, std::move(*session), page);
        if (!connection->socket->is_open()) i->live->closed(*connection); // it ended before it was known
      }
    if (on_open) i->run_live(page, connection, on_open(connection, {}));
  };
}
const config::app_settings& host::settings() const { return impl_->settings(); }
token_service& host::tokens() { return impl_->services->tokens(); }
downstream_api& host::downstream_apis() { return impl_->services->downstream_apis(); }
authorization_header_provider& host::authorization_headers() { return impl_->services->authorization_headers(); }
token_acquirer_factory& host::services() { return *impl_->services; }
session_service& host::sessions() { return *impl_->sessions; }
web_authentication& host::authentication() { return *impl_->authentication; }

result<std::uint16_t, std::string> host::start() {
  auto& i = *impl_;
  if (auto started = i.start_services(); !started) {
    i.stop_services();
    return failure{started.error()};
  }
  for (auto resolve : {&impl::resolve_consent_policies, &impl::resolve_token_requirements}) {
    if (auto resolved = (i.*resolve)(); !resolved) {
      i.stop_services();
      return failure{resolved.error()};
    }
  }
  i.add_builtin_routes();
  i.metrics = std::make_unique<http::request_metrics>(i.router);
  i.router.on_exception = [&i](const http::route& r, const http::exchange_ptr& x, std::exception_ptr e) { return i.answer_escaped(r, x, e); };
  auto* authentication = i.authentication.get();
  // Web API routes admit bearer tokens; every other route, signed-in users of the web app.
  http::admission admit = [authentication, bearer = i.bearer.get()](const http::route& r, const http::exchange_ptr& x,
                                                                    std::function<void()> proceed) {
    if (r.bearer) return bearer->admit(r, x, std::move(proceed));
    authentication->admit(r, x, std::move(proceed));
  };
  challenge_renderer render = [authentication](const http::exchange_ptr& x, const challenge& c, const http::consent_policy& policy) {
    authentication->challenge_user(x, c, policy);
  };
  live_challenge_renderer render_live = [authentication](const http::websocket_ptr& socket, const http::exchange_ptr& handshake, const challenge& c,
                                                         const http::consent_policy& policy, const std::string& page) {
    authentication->live_challenge(socket, handshake, c, policy, page);
  };
  i.front = std::make_unique<front_dispatcher>(i.services->system(), i.router, std::move(admit), std::move(render), std::move(render_live),
                                               i.settings().host.actor_threads);
  i.server = std::make_unique<http::server>(server_options_from(i.settings().host), *i.front, i.metrics.get());
  i.server->share_io_threads_with(i.services->web());
  auto started = i.server->start();
  if (started) {
    if (auto metrics_started = i.start_metrics_listener(); !metrics_started) {
      i.server->stop();
      i.server->wait();
      started = failure{metrics_started.error()};
    }
  }
  if (!started) {
    i.server.reset();
    i.stop_services();
  }
  return started;
}

void host::stop() {
  if (impl_->server) impl_->server->stop();
  if (impl_->metrics_server) impl_->metrics_server->stop();
}

std::uint16_t host::metrics_port() const { return impl_->metrics_server ? impl_->metrics_server->port() : 0; }

void host::wait() {
  auto& i = *impl_;
  if (!i.server) return;
  i.server->wait();
  if (i.metrics_server) i.metrics_server->wait();
  // The actors may still hold exchanges; they are released while the server's I/O contexts
  // still exist, and only then is the server torn down.
  i.stop_services();
  i.server.reset();
  i.metrics_server.reset();
}

} // namespace onbehalf::actors
