// Wiring: routes, discovery and keys, fault injection, admin controls.
#include "core.hpp"

#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/delayed_calls.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/http/cross_origin.hpp"
#include "onbehalf/http/server.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <condition_variable>
#include <thread>

namespace onbehalf::devauthority {

const tenant* authority_core::tenant_for(std::string_view path) const {
  if (path == "common" || path == "organizations" || path == "consumers") return dir.tenants.empty() ? nullptr : &dir.tenants.front();
  return dir.find_tenant(path);
}

const app* authority_core::find_app(std::string_view client_id) const {
  for (const auto& t : dir.tenants)
    if (const app* a = t.find_app(client_id)) return a;
  return nullptr;
}

user* authority_core::mutable_user(std::string_view user_name) {
  for (auto& t : dir.tenants)
    for (auto& u : t.users)
      if (text::iequals(u.user_name, user_name)) return &u;
  return nullptr;
}

std::string route_prefix(const http::exchange& x) {
  auto policy = x.param("policy");
  auto tenant = std::string(x.param("tenant"));
  return policy.empty() ? "/" + tenant : "/tfp/" + tenant + "/" + std::string(policy);
}

std::optional<protocol_error> check_policy(const authority_core& core, const http::exchange& x) {
  auto policy = x.param("policy");
  if (policy.empty()) return std::nullopt;
  const tenant* t = core.tenant_for(x.param("tenant"));
  if (t && t->has_user_flow(policy)) return std::nullopt;
  return protocol_error{400, "invalid_request", 90057,
                        "The user flow '" + std::string(policy) + "' does not exist in tenant '" + std::string(x.param("tenant")) + "'."};
}

http::response json_response(unsigned status, std::string body) {
  auto r = http::response::json(status, std::move(body));
  r.headers.set("Cache-Control", "no-store");
  return r;
}

http::response error_response(const protocol_error& e, std::string_view correlation_id) {
  auto trace = crypto::random_token(12);
  boost::json::object body{{"error", e.error},
                           {"error_description", "AADSTS" + std::to_string(e.aadsts) + ": " + e.description + "\r\nTrace ID: " + trace},
                           {"error_codes", boost::json::array{e.aadsts}},
                           {"trace_id", trace},
                           {"correlation_id", correlation_id.empty() ? crypto::random_token(12) : std::string(correlation_id)}};
  if (!e.claims.empty()) body["claims"] = e.claims;
  return json_response(e.status, boost::json::serialize(body));
}

std::optional<text::form_fields> form_of(const http::exchange& x) {
  auto type = x.req().headers.find("Content-Type").value_or("");
  if (!type.starts_with("application/x-www-form-urlencoded")) return std::nullopt;
  return text::form_fields::parse(x.req().body);
}

namespace {

std::string discovery_document(const authority_core& core, const std::string& tenant_path, const std::string& prefix) {
  const tenant* t = core.tenant_for(tenant_path);
  bool multi_tenant = tenant_path == "common" || tenant_path == "organizations" || tenant_path == "consumers";
  // Entra answers a tenant named by its domain with endpoints that name it by id.
  auto named_prefix = !multi_tenant && t && prefix == "/" + tenant_path ? "/" + t->id : prefix;
  auto endpoint = [&](std::string_view rest) { return core.endpoint(named_prefix, rest); };
  boost::json::object doc{
      {"issuer", multi_tenant ? core.base_url() + "/{tenantid}/v2.0" : core.issuer_for(*t)},
      {"authorization_endpoint", endpoint("/oauth2/v2.0/authorize")},
      {"token_endpoint", endpoint("/oauth2/v2.0/token")},
      {"end_session_endpoint", endpoint("/oauth2/v2.0/logout")},
      {"jwks_uri", endpoint("/discovery/v2.0/keys")},
      {"response_types_supported", boost::json::array{"code"}},
      {"response_modes_supported", boost::json::array{"query", "form_post"}},
      {"code_challenge_methods_supported", boost::json::array{"S256"}},
      {"token_endpoint_auth_methods_supported", boost::json::array{"client_secret_post", "client_secret_basic", "private_key_jwt"}},
      {"id_token_signing_alg_values_supported", boost::json::array{"RS256"}},
      {"scopes_supported", boost::json::array{"openid", "profile", "email", "offline_access"}},
      {"tenant_region_scope", "WW"}};
  return boost::json::serialize(doc);
}

std::string key_set_document(const authority_core& core) {
  std::string keys = core.signing_key.public_part().to_jwk(core.key_id);
  for (const auto& [kid, key] : core.retired_keys) keys += "," + key.to_jwk(kid);
  return "{\"keys\":[" + keys + "]}";
}

} // namespace

struct dev_authority::impl {
  authority_core core;
  http::router router;
  std::unique_ptr<http::inline_dispatcher> dispatcher;
  // Declared after the server so it is destroyed first: its answers need the server's I/O objects.
  std::unique_ptr<http::server> server;
  std::unique_ptr<delayed_calls> delayed = std::make_unique<delayed_calls>();

  // Wraps a protocol endpoint so injected faults apply to it.
  http::handler faulty(std::function<void(authority_core&, const http::exchange_ptr&)> endpoint) {
    return [this, endpoint](const http::exchange_ptr& x) {
      faults f;
      {
        std::lock_guard lock(core.mutex);
        f = core.injected;
      }
      auto answer = [this, endpoint, f, x] {
        switch (f.kind) {
        case faults::mode::unavailable:
          return void(x->respond(http::response::error(503, "The development authority is unavailable (injected fault).")));
        case faults::mode::server_error:
          return void(x->respond(error_response({500, "server_error", 90033, "A transient error has occurred (injected fault)."})));
        case faults::mode::throttled: {
          auto r = error_response({429, "temporarily_unavailable", 90033, "Too many requests (injected fault)."});
          r.headers.set("Retry-After", std::to_string(f.retry_after.count()));
          return void(x->respond(std::move(r)));
        }
        case faults::mode::none: return endpoint(core, x);
        }
      };
      if (f.added_latency.count() > 0) {
        delayed->add(std::chrono::steady_clock::now() + f.added_latency, answer);
      } else {
        answer();
      }
    };
  }

  void add_routes() {
    // Every protocol endpoint answers for a tenant, and for a B2C user flow of a tenant.
    for (std::string prefix : {"/{tenant}", "/tfp/{tenant}/{policy}"}) {
      router.get(prefix + "/v2.0/.well-known/openid-configuration", faulty([](authority_core& c, const http::exchange_ptr& x) {
                   if (!c.tenant_for(x->param("tenant")))
                     return void(x->respond(error_response({400, "invalid_tenant", 90002, "Tenant not found."})));
                   if (auto bad_policy = check_policy(c, *x)) return void(x->respond(error_response(*bad_policy)));
                   x->respond(json_response(200, discovery_document(c, std::string(x->param("tenant")), route_prefix(*x))));
                 }));
      router.get(prefix + "/discovery/v2.0/keys", faulty([](authority_core& c, const http::exchange_ptr& x) {
                   std::lock_guard lock(c.mutex);
                   x->respond(json_response(200, key_set_document(c)));
                 }));
      router.get(prefix + "/oauth2/v2.0/authorize", faulty(handle_authorize));
      router.post(prefix + "/oauth2/v2.0/token", faulty(handle_token));
      router.get(prefix + "/oauth2/v2.0/logout", faulty(handle_logout));
      router.get(prefix + "/devauthority/continue", faulty(handle_continue));
      router.post(prefix + "/devauthority/login", faulty(handle_sign_in));
      router.post(prefix + "/devauthority/consent", faulty(handle_consent));
      router.post(prefix + "/devauthority/mfa", faulty(handle_second_factor));
      router.post(prefix + "/devauthority/profile", faulty(handle_edit_profile));
      router.post(prefix + "/devauthority/reset", faulty(handle_reset_password));
    }
    // Managed identity, at the addresses Azure gives it (their base configurable, as the apps' is).
    router.get("/metadata/identity/oauth2/token", faulty(handle_managed_identity_imds));
    router.get("/msi/token", faulty(handle_managed_identity_app_service));
    if (core.dir.admin_enabled) add_admin_routes();
  }

  // Development controls over HTTP, for scripts; refused from anywhere but this machine.
  void add_admin_routes() {
    auto admin = [](std::function<http::response(const text::form_fields&)> action) {
      return [action](const http::exchange_ptr& x) {
        if (!http::is_local_tool_request(x->req()))
          return void(x->respond(http::response::error(403, "Admin endpoints answer only scripts on this machine (named localhost or 127.0.0.1), "
                                                            "not web pages.")));
        x->respond(action(form_of(*x).value_or(text::form_fields{})));
      };
    };
    auto done = [](const std::string& what) { return http::response::text(200, what + "\n"); };
    router.post("/admin/faults", admin([this, done](const text::form_fields& form) {
                  faults f;
                  auto mode = form.find("mode").value_or("none");
                  f.kind = mode == "unavailable"    ? faults::mode::unavailable
                           : mode == "server_error" ? faults::mode::server_error
                           : mode == "throttled"    ? faults::mode::throttled
                                                    : faults::mode::none;
                  f.added_latency = std::chrono::milliseconds(text::parse_unsigned(form.find("latency_ms").value_or("0")).value_or(0));
                  f.retry_after = std::chrono::seconds(text::parse_unsigned(form.find("retry_after").value_or("30")).value_or(30));
                  set(f);
                  return done("faults set: mode=" + std::string(mode) + " latency_ms=" + std::to_string(f.added_latency.count()));
                }));
    router.post("/admin/rotate-keys", admin([this, done](const text::form_fields&) {
                  rotate();
                  return done("signing key rotated");
                }));
    router.post("/admin/revoke-user", admin([this, done](const text::form_fields& form) {
                  auto user = std::string(form.find("user").value_or(""));
                  revoke(user);
                  return done("refresh tokens of " + user + " revoked");
                }));
    router.post("/admin/lifetimes", admin([this, done](const text::form_fields& form) {
                  auto seconds = text::parse_unsigned(form.find("access_token_seconds").value_or(""));
                  if (!seconds || *seconds == 0)
                    return http::response::error(400, "access_token_seconds must be a positive number of seconds; lifetimes are unchanged.");
                  set_access_token_lifetime(std::chrono::seconds(*seconds));
                  return done("access tokens issued from now on live " + std::to_string(*seconds) + " s");
                }));
    // A token as a Kubernetes cluster projects it into a pod, for workload identity federation.
    router.post("/admin/workload-token", admin([this](const text::form_fields& form) {
                  auto subject = std::string(form.find("subject").value_or(""));
                  if (subject.empty()) return http::response::error(400, "subject is required, e.g. system:serviceaccount:default:my-app");
                  auto seconds = text::parse_unsigned(form.find("lifetime_seconds").value_or("3600")).value_or(3600);
                  auto audience = std::string(form.find("audience").value_or("api://AzureADTokenExchange"));
                  std::lock_guard lock(core.mutex);
                  return http::response::text(
                      200, devauthority::workload_token(core, subject, audience, std::chrono::seconds(std::min<std::uint64_t>(seconds, 86400))));
                }));
    // Token requests by grant type, e.g. {"authorization_code":100,"refresh_token":100}: how a
    // benchmark checks that a cache spared the authority.
    router.post("/admin/required-permission", admin([this, done](const text::form_fields& form) {
                  auto client = std::string(form.find("client_id").value_or(""));
                  auto resource = std::string(form.find("resource").value_or(""));
                  auto scope = std::string(form.find("scope").value_or(""));
                  if (!require(client, resource, scope))
                    return http::response::error(400,
                                                 "client_id must name an app and resource one of its tenant's APIs, with a scope; nothing changed.");
                  return done(client + " now requires " + resource + "/" + scope);
                }));
    router.get("/admin/token-requests", admin([this](const text::form_fields&) {
                 boost::json::object counts;
                 {
                   std::lock_guard lock(core.mutex);
                   for (const auto& [grant, count] : core.token_requests) counts[grant] = count;
                 }
                 return json_response(200, boost::json::serialize(counts));
               }));
  }

  void set(faults f) {
    std::lock_guard lock(core.mutex);
    core.injected = f;
  }
  void set_access_token_lifetime(std::chrono::seconds lifetime) {
    std::lock_guard lock(core.mutex);
    core.dir.token_lifetimes.access_token = lifetime;
  }
  void rotate() {
    std::lock_guard lock(core.mutex);
    core.retired_keys.emplace_back(core.key_id, core.signing_key.public_part());
    core.signing_key = identity::signing_key::generate(identity::jws_algorithm::rs256);
    core.key_id = "devauthority-" + std::to_string(core.retired_keys.size() + 1);
  }
  // An app registration that gains a permission, as in the portal: users consent to it next time.
  bool require(std::string_view client_id, std::string_view resource_uri, std::string_view scope) {
    std::lock_guard lock(core.mutex);
    for (auto& t : core.dir.tenants) {
      auto a = std::find_if(t.apps.begin(), t.apps.end(), [&](const app& x) { return x.client_id == client_id; });
      const auto* res = find_resource(t, resource_uri);
      if (a == t.apps.end() || !res || scope.empty()) continue;
      auto& scopes = a->required_permissions[res->app_id_uri];
      if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) scopes.emplace_back(scope);
      return true;
    }
    return false;
  }
  // Ends every sign-in of the user: their refresh tokens stay refused even after a new sign-in.
  void revoke(const std::string& user) {
    std::lock_guard lock(core.mutex);
    for (const auto& [family, owner] : core.family_owners)
      if (text::iequals(owner, user)) core.revoked_families.insert(family);
  }
};

std::string dev_authority::workload_token(std::string_view subject, std::chrono::seconds lifetime, std::string_view audience) {
  std::lock_guard lock(impl_->core.mutex);
  return devauthority::workload_token(impl_->core, subject, audience, lifetime);
}

std::string dev_authority::workload_issuer() const { return impl_->core.base_url() + "/kubernetes"; }

std::string dev_authority::app_service_identity_endpoint() const { return impl_->core.base_url() + "/msi/token"; }

dev_authority::dev_authority(directory d) : impl_(std::make_unique<impl>()) { impl_->core.dir = std::move(d); }

dev_authority::~dev_authority() {
  stop();
  wait();
}

result<std::uint16_t, std::string> dev_authority::start() {
  auto& i = *impl_;
  i.add_routes();
  i.dispatcher = std::make_unique<http::inline_dispatcher>(i.router);
  http::server_options options;
  options.address = i.core.dir.listen_address;
  options.port = i.core.dir.port;
  i.server = std::make_unique<http::server>(options, *i.dispatcher);
  auto started = i.server->start();
  if (!started) return started;
  i.core.set_base_url("http://" + i.core.dir.listen_address + ":" + std::to_string(*started));
  log_info("Development authority ready", {{"base_url", i.core.base_url()}, {"tenants", i.core.dir.tenants.size()}});
  return started;
}

void dev_authority::stop() {
  impl_->delayed->release(); // requests held by injected latency are in flight too: let them finish
  if (impl_->server) impl_->server->stop();
}

void dev_authority::wait() {
  if (impl_->server) impl_->server->wait();
}

std::string dev_authority::base_url() const { return impl_->core.base_url(); }
std::string dev_authority::authority(std::string_view tenant) const { return impl_->core.base_url() + "/" + std::string(tenant) + "/v2.0"; }
std::string dev_authority::user_flow_authority(std::string_view tenant, std::string_view policy) const {
  return impl_->core.base_url() + "/tfp/" + std::string(tenant) + "/" + std::string(policy) + "/v2.0";
}
void dev_authority::rotate_signing_key() { impl_->rotate(); }
void dev_authority::revoke_user(std::string_view user_name) { impl_->revoke(std::string(user_name)); }
void dev_authority::set_faults(faults f) { impl_->set(f); }
bool dev_authority::require_permission(std::string_view client_id, std::string_view resource, std::string_view scope) {
  return impl_->require(client_id, resource, scope);
}
void dev_authority::set_access_token_lifetime(std::chrono::seconds lifetime) { impl_->set_access_token_lifetime(lifetime); }

std::size_t dev_authority::requests_held() const { return impl_->delayed->waiting(); }

std::size_t dev_authority::token_requests(std::string_view grant_type) const {
  std::lock_guard lock(impl_->core.mutex);
  auto it = impl_->core.token_requests.find(std::string(grant_type));
  return it == impl_->core.token_requests.end() ? 0 : it->second;
}

std::vector<token_request_record> dev_authority::recent_token_requests() const {
  std::lock_guard lock(impl_->core.mutex);
  return {impl_->core.recent_token_requests.begin(), impl_->core.recent_token_requests.end()};
}

} // namespace onbehalf::devauthority
