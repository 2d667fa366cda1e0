#include "onbehalf/actors/host.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "onbehalf/actors/front.hpp"
#include "onbehalf/actors/session_service.hpp"
#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/actors/web_authentication.hpp"
#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/cache/rocksdb_store.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/http/metrics.hpp"
#include "onbehalf/http/server.hpp"
#include "onbehalf/identity/client_assertion.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

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

// The first usable credential of AzureAd:ClientCredentials, as MIW picks one.
result<identity::client_authentication, std::string> client_authentication_from(const config::azure_ad_options& ad,
                                                                                  std::unique_ptr<identity::client_certificate>& certificate) {
  identity::client_authentication a;
  a.client_id = ad.client_id;
  for (const auto& c : ad.client_credentials) {
    using type = config::client_credential::source_type;
    if (c.type == type::client_secret) {
      a.how = identity::client_authentication::method::client_secret_post;
      a.client_secret = c.client_secret;
      return a;
    }
    auto loaded = c.type == type::path ? identity::client_certificate::from_file(c.certificate_disk_path, c.certificate_password)
                                       : identity::client_certificate::from_base64_pkcs12(c.certificate_base64_value.reveal(), c.certificate_password);
    if (!loaded) return failure{"AzureAd:ClientCredentials: " + loaded.error()};
    certificate = std::make_unique<identity::client_certificate>(std::move(*loaded));
    a.how = identity::client_authentication::method::private_key_jwt;
    a.certificate = certificate.get();
    return a;
  }
  // A sign-in-only app: public-client style code redemption with PKCE and no secret.
  a.how = identity::client_authentication::method::client_secret_post;
  return a;
}

result<std::unique_ptr<cache::durable_store>, std::string> open_durable_store(const config::host_options& h) {
  using backend = config::cache_options::backend_type;
  if (h.cache.backend == backend::memory) return std::unique_ptr<cache::durable_store>();
  auto keys = config::make_key_ring(h.cache.encryption_keys);
  if (!keys) return failure{"Onbehalf:Cache:EncryptionKeys: " + keys.error()};
  if (h.cache.backend == backend::redis) {
    cache::redis_options o;
    o.host = h.redis.host;
    o.port = h.redis.port;
    return std::unique_ptr<cache::durable_store>(std::make_unique<cache::redis_store>(o, std::move(*keys)));
  }
  auto store = cache::rocksdb_store::open(h.cache.path, std::move(*keys));
  if (!store) return failure{"Onbehalf:Cache:Path: " + store.error()};
  return cache::run_in_background(std::move(*store));
}

// Cache and session figures for /metrics, after the request series.
std::string cache_metrics(const cache::memory_cache& l1, const cache::durable_store* l2, const session_service& sessions) {
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
    metric("onbehalf_cache_l2_failures_total", "Requests to the shared or persistent cache that failed; users were served from memory and the authority.",
          "counter", std::string("{store=\"") + l2->kind() + "\"}", l2->failures());
  metric("onbehalf_session_actors", "Session actors alive: accounts active within the idle timeout.", "gauge", "", sessions.live_actors());
  return out;
}

} // namespace

struct host::impl {
  config::app_settings settings;
  http::router router;
  std::unique_ptr<http::request_metrics> metrics;
  std::unique_ptr<caf::actor_system_config> actor_config;
  std::unique_ptr<caf::actor_system> system;
  std::unique_ptr<http::client> web;
  std::unique_ptr<identity::client_certificate> certificate;
  std::unique_ptr<identity::authority_cache> authority;
  std::unique_ptr<cache::memory_cache> l1;
  std::unique_ptr<cache::durable_store> l2;
  std::unique_ptr<token_service> tokens;
  std::unique_ptr<session_service> sessions;
  std::unique_ptr<web_authentication> authentication;
  std::unique_ptr<front_dispatcher> front;
  std::unique_ptr<http::server> server;

  void add_builtin_routes() {
    router.get("/healthz", [](const http::exchange_ptr& x) { x->respond(http::response::json(200, "{\"status\":\"ok\"}")); })
        .anonymous = true;
    router.get("/metrics", [this](const http::exchange_ptr& x) {
      auto r = http::response::text(200, metrics->render() + cache_metrics(*l1, l2.get(), *sessions));
      r.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      x->respond(std::move(r));
    }).anonymous = true;
  }

  result<bool, std::string> start_services() {
    const auto& h = settings.host;
    auto client = http::client::create();
    if (!client) return failure{client.error()};
    web = std::move(*client);
    authority = std::make_unique<identity::authority_cache>(settings.azure_ad.effective_authority(), fetch_over(*web));
    cache::memory_cache_options l1_options;
    l1_options.max_bytes = h.cache.memory_limit_bytes;
    l1 = std::make_unique<cache::memory_cache>(l1_options);
    auto store = open_durable_store(h);
    if (!store) return failure{store.error()};
    l2 = std::move(*store);

    auto client_auth = client_authentication_from(settings.azure_ad, certificate);
    if (!client_auth) return failure{client_auth.error()};
    token_service_settings t;
    t.authority = authority.get();
    t.tenant = settings.azure_ad.tenant_id;
    t.client = *client_auth;
    t.web = web.get();
    t.cache = l1.get();
    t.store = l2.get();
    tokens = std::make_unique<token_service>(*system, t);

    session_service_options s;
    s.cache = l1.get();
    s.store = l2.get();
    s.absolute_lifetime = h.sign_in.absolute_lifetime;
    sessions = std::make_unique<session_service>(*system, s);

    auto keys = cookie_keys(h);
    if (!keys) return failure{"Onbehalf:SignIn:CookieEncryptionKeys: " + keys.error()};
    web_authentication_options w;
    w.client_id = settings.azure_ad.client_id;
    w.callback_path = settings.azure_ad.callback_path;
    w.signed_out_callback_path = settings.azure_ad.signed_out_callback_path;
    w.sign_out_path = h.sign_in.sign_out_path;
    w.scopes = h.sign_in.initial_scopes;
    w.mode = h.sign_in.form_post ? identity::response_mode::form_post : identity::response_mode::query;
    w.cookie_keys = std::move(*keys);
    w.trusted_proxies = h.known_proxies;
    w.idle_timeout = h.sign_in.idle_timeout;
    w.correlation_lifetime = h.sign_in.correlation_lifetime;
    authentication = std::make_unique<web_authentication>(std::move(w), *authority, *tokens, *sessions);
    authentication->add_routes(router);
    return true;
  }

  // Reverse order of construction: nothing is used after it is gone.
  void stop_services() {
    front.reset();
    authentication.reset();
    sessions.reset();
    tokens.reset();
    system.reset();
    l2.reset();
    l1.reset();
    authority.reset();
    web.reset();
  }
};

host::host(config::app_settings settings) : impl_(std::make_unique<impl>()) {
  impl_->settings = std::move(settings);
  if (auto level = parse_log_level(impl_->settings.host.log_level)) logger::global().set_level(*level);
}

host::~host() {
  stop();
  wait();
}

http::router& host::routes() { return impl_->router; }
const config::app_settings& host::settings() const { return impl_->settings; }
token_service& host::tokens() { return *impl_->tokens; }
session_service& host::sessions() { return *impl_->sessions; }
web_authentication& host::authentication() { return *impl_->authentication; }

result<std::uint16_t, std::string> host::start() {
  auto& i = *impl_;
  i.actor_config = std::make_unique<caf::actor_system_config>();
  // The sharing policy wakes an idle worker at once; work stealing's relaxed phase sleeps
  // up to 10 ms between polls, and its polling competes with the I/O thread for the cores:
  // bench/http-front measured 78k req/s with sharing against 65k with stealing (1 + 1 threads).
  i.actor_config->set("scheduler.policy", caf::atom("sharing"));
  i.actor_config->set("scheduler.max-threads", static_cast<std::size_t>(i.settings.host.actor_threads));
  i.system = std::make_unique<caf::actor_system>(*i.actor_config);
  if (auto started = i.start_services(); !started) {
    i.stop_services();
    return failure{started.error()};
  }
  i.add_builtin_routes();
  i.metrics = std::make_unique<http::request_metrics>(i.router);
  auto* authentication = i.authentication.get();
  http::admission admit = [authentication](const http::route& r, const http::exchange_ptr& x, std::function<void()> proceed) {
    authentication->admit(r, x, std::move(proceed));
  };
  i.front = std::make_unique<front_dispatcher>(*i.system, i.router, std::move(admit), i.settings.host.actor_threads);
  i.server = std::make_unique<http::server>(server_options_from(i.settings.host), *i.front, i.metrics.get());
  auto started = i.server->start();
  if (!started) {
    i.server.reset();
    i.stop_services();
  }
  return started;
}

void host::stop() {
  if (impl_->server) impl_->server->stop();
}

void host::wait() {
  auto& i = *impl_;
  if (!i.server) return;
  i.server->wait();
  // The actors may still hold exchanges; they are released while the server's I/O contexts
  // still exist, and only then is the server torn down.
  i.stop_services();
  i.server.reset();
}

} // namespace onbehalf::actors
