#include "onbehalf/actors/token_acquirer_factory.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "onbehalf/cache/redis_store.hpp"
#include "onbehalf/cache/rocksdb_store.hpp"
#include "onbehalf/config/load.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "tokens/client_credentials.hpp"
#include "tokens/measured_store.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include <map>
#include <mutex>

namespace onbehalf::actors {

namespace {

redis::client_options redis_client_options(const config::redis_options& r) {
  redis::client_options o;
  o.endpoints = {{r.host, r.port}};
  o.cluster = r.cluster;
  o.user = r.user;
  o.password = r.password;
  o.database = static_cast<int>(r.database);
  o.tls.enabled = r.tls.enabled;
  o.tls.ca_bundle_path = r.tls.ca_bundle_path;
  o.tls.server_name = r.tls.server_name;
  o.tls.client_certificate_path = r.tls.client_certificate_path;
  o.tls.client_key_path = r.tls.client_key_path;
  o.connect_timeout = r.connect_timeout;
  o.command_timeout = r.command_timeout;
  o.connections_per_node = r.connections;
  return o;
}

// The settings to fix when Redis turns this application away.
std::string redis_setting_for(const std::string& problem) {
  if (problem.find("TLS") != std::string::npos) return "Onbehalf:Redis:Tls";
  if (problem.find("NOPERM") != std::string::npos) return "Onbehalf:Redis:User (the ACL of that user)";
  if (problem.find("SELECT") != std::string::npos || problem.find("DB index") != std::string::npos) return "Onbehalf:Redis:Database";
  return "Onbehalf:Redis:Password";
}

struct opened_stores {
  std::unique_ptr<cache::durable_store> l2;
  cache::redis_store* redis = nullptr; // the same object as l2, with the Redis backend
};

result<opened_stores, std::string> open_durable_store(const config::host_options& h) {
  using backend = config::cache_options::backend_type;
  if (h.cache.backend == backend::memory) return opened_stores{};
  auto keys = config::make_key_ring(h.cache.encryption_keys);
  if (!keys) return failure{"Onbehalf:Cache:EncryptionKeys: " + keys.error()};
  if (h.cache.backend == backend::redis) {
    cache::redis_options o;
    o.connection = redis_client_options(h.redis);
    o.key_prefix = h.redis.key_prefix;
    auto store = cache::redis_store::open(o, std::move(*keys));
    if (!store) return failure{"Onbehalf:Redis: " + store.error()};
    // A Redis that is down may come back; one that turns us away will not until the settings change.
    auto health = (*store)->wait_for_first_contact(h.redis.connect_timeout + std::chrono::milliseconds(500));
    if (health.current == redis::health::state::refused) return failure{redis_setting_for(health.detail) + ": " + health.detail};
    if (health.current != redis::health::state::connected)
      log_warning("Redis is not reachable at start; serving from memory and the authority until it is",
                  {{"redis", h.redis.host + ":" + std::to_string(h.redis.port)}, {"error", health.detail}});
    opened_stores opened;
    opened.redis = store->get();
    opened.l2 = std::move(*store);
    return opened;
  }
  auto store = cache::rocksdb_store::open(h.cache.path, std::move(*keys));
  if (!store) return failure{"Onbehalf:Cache:Path: " + store.error()};
  return opened_stores{cache::run_in_background(std::move(*store)), nullptr};
}

} // namespace

struct token_acquirer_factory::impl {
  config::app_settings settings;
  std::unique_ptr<caf::actor_system_config> actor_config;
  std::unique_ptr<caf::actor_system> system;
  std::unique_ptr<http::client> web;
  std::unique_ptr<identity::authority_cache> authority;
  std::mutex flows_mutex;
  std::map<std::string, std::unique_ptr<identity::authority_cache>> flow_authorities;   // B2C: by user flow, lower case
  std::map<std::string, std::shared_ptr<identity::authority_cache>> tenant_authorities; // other tenants, lower case
  static constexpr std::size_t most_tenant_authorities = 256;

  // Guests' home tenants come from their sign-ins: many, so the map is bounded. One let go while
  // a grant asks it lives until that grant has its answer.
  std::shared_ptr<identity::authority_cache> authority_for_tenant(const std::string& tenant) {
    auto address = settings.azure_ad.authority_for_tenant(tenant);
    if (address.empty()) return nullptr;
    std::lock_guard lock(flows_mutex);
    auto key = text::to_lower(tenant);
    if (auto found = tenant_authorities.find(key); found != tenant_authorities.end()) return found->second;
    if (tenant_authorities.size() >= most_tenant_authorities) tenant_authorities.erase(tenant_authorities.begin());
    auto cache = std::make_shared<identity::authority_cache>(address, fetch_over(*web));
    tenant_authorities.emplace(key, cache);
    return cache;
  }

  // The default authority for the sign-in flow; each other B2C user flow has its own.
  identity::authority_cache& authority_for(std::string_view user_flow) {
    const auto& ad = settings.azure_ad;
    if (user_flow.empty() || !ad.is_b2c() || text::iequals(user_flow, ad.sign_up_sign_in_policy_id)) return *authority;
    std::lock_guard lock(flows_mutex);
    auto& cache = flow_authorities[text::to_lower(user_flow)];
    if (!cache) cache = std::make_unique<identity::authority_cache>(ad.authority_for_flow(user_flow), fetch_over(*web));
    return *cache;
  }
  std::unique_ptr<cache::memory_cache> l1;
  std::unique_ptr<cache::durable_store> application_store; // given by use_durable_store, until build()
  std::unique_ptr<cache::durable_store> l2;
  cache::redis_store* redis = nullptr;                   // l2, with the Redis backend
  std::unique_ptr<cache::coordination> own_coordination; // otherwise: leases within this process
  cache::coordination* coordination = nullptr;
  std::unique_ptr<token_service> tokens;
  std::unique_ptr<downstream_api> apis = std::make_unique<downstream_api>(); // exists before build(), so handlers can hold it
  std::unique_ptr<authorization_header_provider> headers;

  result<bool, std::string> build() {
    const auto& h = settings.host;
    actor_config = std::make_unique<caf::actor_system_config>();
    // The sharing policy wakes an idle worker at once; work stealing's relaxed phase sleeps
    // up to 10 ms between polls, and its polling competes with the I/O thread for the cores:
    // bench/http-front measured 78k req/s with sharing against 65k with stealing (1 + 1 threads).
    actor_config->set("scheduler.policy", caf::atom("sharing"));
    actor_config->set("scheduler.max-threads", static_cast<std::size_t>(h.actor_threads));
    system = std::make_unique<caf::actor_system>(*actor_config);

    http::client_options client_options;
    client_options.ca_bundle_path = h.ca_bundle_path;
    client_options.proxy = h.proxy.address;
    client_options.no_proxy = h.proxy.bypass;
    auto client = http::client::create(client_options);
    if (!client)
      return failure{(client.error().find("proxy") != std::string::npos ? "Onbehalf:Proxy:Address: " : "Onbehalf:CaBundlePath: ") + client.error()};
    web = std::move(*client);
    authority = std::make_unique<identity::authority_cache>(settings.azure_ad.effective_authority(), fetch_over(*web));
    cache::memory_cache_options l1_options;
    l1_options.max_bytes = h.cache.memory_limit_bytes;
    l1 = std::make_unique<cache::memory_cache>(l1_options);
    if (application_store) {
      auto keys = config::make_key_ring(h.cache.encryption_keys);
      if (!keys) return failure{"Onbehalf:Cache:EncryptionKeys: your own cache store keeps only sealed tokens, and " + keys.error()};
      l2 = cache::sealed_with(std::move(*keys), std::move(application_store));
    } else {
      auto store = open_durable_store(h);
      if (!store) return failure{store.error()};
      l2 = std::move(store->l2);
      redis = store->redis;
    }
    if (l2) l2 = detail::measured(std::move(l2));
    if (!redis) own_coordination = cache::coordinate_in_process(l2.get());
    coordination = redis ? static_cast<cache::coordination*>(redis) : own_coordination.get();

    auto chain = detail::client_chain_from(settings, *web);
    if (!chain) return failure{chain.error()};
    token_service_settings t;
    t.authority = authority.get();
    t.authority_for_flow = [this](const std::string& user_flow) { return &authority_for(user_flow); };
    t.authority_for_tenant = [this](const std::string& tenant) { return authority_for_tenant(tenant); };
    t.sign_in_flow = settings.azure_ad.sign_up_sign_in_policy_id;
    t.tenant = settings.azure_ad.tenant_id;
    t.client = chain->front();
    t.other_clients.assign(chain->begin() + 1, chain->end());
    t.web = web.get();
    t.managed_identity = detail::managed_identity_endpoint_of(settings.managed_identity);
    t.cache = l1.get();
    t.store = l2.get();
    t.coordination = coordination;
    t.lease_time = h.redis.lease_time;
    t.refresh_margin = h.token_refresh_margin;
    t.on_behalf_of = settings.azure_ad.on_behalf_of_grant == "TokenExchange" ? on_behalf_of_grant::token_exchange : on_behalf_of_grant::jwt_bearer;
    tokens = std::make_unique<token_service>(*system, t);
    apis->attach(*tokens, *web);
    headers = std::make_unique<authorization_header_provider>(*tokens);
    return true;
  }

  // Reverse order of construction: nothing is used after it is gone.
  void shutdown() {
    headers.reset();
    apis->detach();
    tokens.reset();
    system.reset();
    redis = nullptr;
    coordination = nullptr;
    l2.reset(); // its last callbacks may still complete leases: the coordination goes after it
    own_coordination.reset();
    l1.reset();
    flow_authorities.clear();
    tenant_authorities.clear();
    authority.reset();
    web.reset();
  }
};

token_acquirer_factory::token_acquirer_factory(config::app_settings settings) : impl_(std::make_unique<impl>()) {
  impl_->settings = std::move(settings);
  impl_->apis->add_all(impl_->settings.downstream_apis);
  if (auto level = parse_log_level(impl_->settings.host.log_level)) logger::global().set_level(*level);
}

result<std::unique_ptr<token_acquirer_factory>, std::string> token_acquirer_factory::from_file(const std::string& path, char** environment) {
  auto settings = config::settings_from_file(path, environment);
  if (!settings) return failure{settings.error()};
  return std::make_unique<token_acquirer_factory>(std::move(*settings));
}

token_acquirer_factory::~token_acquirer_factory() { shutdown(); }

void token_acquirer_factory::use_durable_store(std::unique_ptr<cache::durable_store> store) { impl_->application_store = std::move(store); }

result<bool, std::string> token_acquirer_factory::build() {
  auto built = impl_->build();
  if (!built) impl_->shutdown();
  return built;
}

void token_acquirer_factory::shutdown() { impl_->shutdown(); }

const config::app_settings& token_acquirer_factory::settings() const noexcept { return impl_->settings; }
token_service& token_acquirer_factory::tokens() { return *impl_->tokens; }
downstream_api& token_acquirer_factory::downstream_apis() { return *impl_->apis; }
authorization_header_provider& token_acquirer_factory::authorization_headers() { return *impl_->headers; }
token_credential token_acquirer_factory::app_credential() { return token_credential::for_app(*impl_->tokens); }
token_credential token_acquirer_factory::user_credential(signed_in_user user) { return token_credential::for_user(*impl_->tokens, std::move(user)); }
caf::actor_system& token_acquirer_factory::system() { return *impl_->system; }
http::client& token_acquirer_factory::web() { return *impl_->web; }
identity::authority_cache& token_acquirer_factory::authority(std::string_view user_flow) { return impl_->authority_for(user_flow); }
cache::memory_cache& token_acquirer_factory::memory_cache() { return *impl_->l1; }
cache::durable_store* token_acquirer_factory::durable_store() { return impl_->l2.get(); }
cache::coordination& token_acquirer_factory::coordination() { return *impl_->coordination; }

std::string token_acquirer_factory::store_metrics() const { return impl_->l2 ? detail::render_store_metrics(*impl_->l2) : std::string(); }

std::string token_acquirer_factory::redis_metrics() const {
  if (!impl_->redis) return {};
  auto c = impl_->redis->statistics();
  bool connected = impl_->redis->health().current == redis::health::state::connected;
  std::string out;
  auto metric = [&out](const char* name, const char* help, const char* type, std::size_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " + std::to_string(value) + "\n";
  };
  metric("onbehalf_redis_connected", "1 while Redis answers; 0 while it is unreachable or refuses this application.", "gauge", connected ? 1 : 0);
  metric("onbehalf_redis_commands_total", "Commands sent to Redis.", "counter", c.commands);
  metric("onbehalf_redis_command_failures_total", "Commands that failed: Redis unreachable, too slow, or shut down.", "counter", c.failures);
  metric("onbehalf_redis_connections_opened_total", "Connections opened to Redis, reconnections included.", "counter", c.connections_opened);
  metric("onbehalf_redis_redirections_total", "MOVED and ASK answers of a Redis Cluster followed.", "counter", c.redirections);
  return out;
}

std::optional<std::string> token_acquirer_factory::redis_state() const {
  if (!impl_->redis) return std::nullopt;
  auto h = impl_->redis->health();
  switch (h.current) {
  case redis::health::state::connected: return std::string("connected");
  case redis::health::state::connecting: return std::string("connecting");
  case redis::health::state::unreachable: return "unreachable: " + h.detail;
  case redis::health::state::refused: return "refused: " + h.detail + " (fix " + redis_setting_for(h.detail) + ")";
  }
  return std::nullopt;
}

} // namespace onbehalf::actors
