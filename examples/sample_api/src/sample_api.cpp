#include "onbehalf/sample_api/sample_api.hpp"

#include "resources.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "onbehalf/config/reader.hpp"
#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/delayed_calls.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/http/cross_origin.hpp"
#include "onbehalf/http/server.hpp"
#include "onbehalf/identity/access_token.hpp"
#include "onbehalf/identity/authority_cache.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

namespace onbehalf::sample_api {

using namespace served;

namespace {

using clock = std::chrono::system_clock;

// Who called, from their validated token.
struct caller {
  std::string oid;
  std::string name;
  std::string username;
  bool is_app = false; // an app token: roles, no scopes, no user
  std::vector<std::string> scopes;
  std::vector<std::string> roles;
  identity::json_object claims;

  bool has_scope(std::string_view s) const {
    return std::any_of(scopes.begin(), scopes.end(), [&](const std::string& x) { return text::iequals(x, s); });
  }
  bool has_role(std::string_view r) const {
    return std::any_of(roles.begin(), roles.end(), [&](const std::string& x) { return text::iequals(x, r); });
  }
};

http::response json_answer(unsigned status, std::string body) { return http::response::json(status, std::move(body)); }

// A protected API's refusal, as RFC 6750 says and as Entra-protected APIs send it.
http::response bearer_refusal(unsigned status, std::string challenge, std::string_view message) {
  auto r =
      json_answer(status, json::serialize(json::object{{"error", json::object{{"code", status == 401 ? "InvalidAuthenticationToken" : "Forbidden"},
                                                                              {"message", std::string(message)}}}}));
  r.headers.set("WWW-Authenticate", std::move(challenge));
  return r;
}

http::response insufficient_scope(const std::string& scope) {
  return bearer_refusal(403, "Bearer error=\"insufficient_scope\", scope=\"" + scope + "\"", "The token lacks the scope " + scope + ".");
}

http::response forbidden(std::string_view message) {
  return json_answer(403, json::serialize(json::object{{"error", json::object{{"code", "Forbidden"}, {"message", std::string(message)}}}}));
}

http::response not_found(std::string_view what) {
  return json_answer(404, json::serialize(json::object{{"error", json::object{{"code", "NotFound"}, {"message", std::string(what)}}}}));
}

http::response bad_request(std::string_view message) {
  return json_answer(400, json::serialize(json::object{{"error", json::object{{"code", "BadRequest"}, {"message", std::string(message)}}}}));
}

std::optional<std::int64_t> id_param(const http::exchange_ptr& x) {
  auto n = text::parse_unsigned(x->param("id"));
  if (!n || *n > static_cast<unsigned long long>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(*n);
}

text::form_fields query_of(const http::request& r) { return text::form_fields::parse(r.query).value_or(text::form_fields{}); }

} // namespace

struct server::impl {
  settings config;
  std::unique_ptr<http::client> web;
  std::unique_ptr<identity::authority_cache> authority;
  http::router router;
  std::unique_ptr<http::inline_dispatcher> dispatcher;
  std::unique_ptr<http::server> http_server;
  std::unique_ptr<delayed_calls> delayed = std::make_unique<delayed_calls>();
  std::string base;
  todo_store todos;

  mutable std::mutex mutex;
  faults injected;
  statistics counts;
  std::vector<http::exchange_ptr> held;                // never_answer: released when the API stops
  std::map<std::string, std::string> required_context; // oid or "*" → acrs value
  std::map<std::string, long long> revoked_before;     // oid or "*" → iat must be at least this

  // --- counting and faults around every API route ---

  void finish(const http::exchange_ptr& x, http::response r) {
    {
      std::lock_guard lock(mutex);
      if (counts.in_flight > 0) --counts.in_flight;
    }
    x->respond(std::move(r));
  }

  http::handler api_route(std::function<void(const http::exchange_ptr&)> handle) {
    return [this, handle](const http::exchange_ptr& x) {
      faults f;
      {
        std::lock_guard lock(mutex);
        f = injected;
        if (injected.times > 0 && --injected.times == 0) injected = faults{};
        ++counts.requests;
        counts.max_in_flight = std::max(counts.max_in_flight, ++counts.in_flight);
      }
      auto run = [this, handle, f, x] {
        switch (f.kind) {
        case faults::mode::none: return handle(x);
        case faults::mode::unavailable:
        case faults::mode::throttled: {
          bool throttled = f.kind == faults::mode::throttled;
          auto r = throttled ? http::response::error(429, "The sample API is throttling (injected fault).")
                             : http::response::error(503, "The sample API is unavailable (injected fault).");
          r.headers.set("Retry-After", std::to_string(f.retry_after.count()));
          return finish(x, std::move(r));
        }
        case faults::mode::server_error: return finish(x, http::response::error(500, "The sample API failed (injected fault)."));
        case faults::mode::malformed_json: return finish(x, json_answer(200, R"({"id": "7", "displayName": "truncat)"));
        case faults::mode::wrong_types:
          return finish(
              x, json_answer(200, R"({"id": ["not", "a", "string"], "displayName": 42, "title": false, "done": "yes", "value": "not an array"})"));
        case faults::mode::huge_body: return finish(x, json_answer(200, "\"" + std::string(16 * 1024 * 1024, 'x') + "\""));
        case faults::mode::never_answer: {
          {
            std::lock_guard lock(mutex);
            held.push_back(x);
          }
          x->request_aborted()->on_cancel([this] {
            std::lock_guard lock(mutex);
            ++counts.abandoned;
          });
          return;
        }
        }
      };
      if (f.latency.count() > 0) return delayed->add(std::chrono::steady_clock::now() + f.latency, run);
      run();
    };
  }

  // --- tokens ---

  // Validates the bearer token for `api`, applies the claims challenges in force, then runs `then`.
  void authenticate(const http::exchange_ptr& x, const protected_api& api, std::function<void(const caller&)> then, bool may_refetch = true) {
    auto header = std::string(x->req().headers.find("Authorization").value_or(""));
    if (header.size() < 7 || !text::iequals(std::string_view(header).substr(0, 7), "Bearer "))
      return finish(x, bearer_refusal(401, "Bearer realm=\"sample-api\"", "A bearer token is required."));
    auto token = header.substr(7);
    authority->get([this, x, api, then, token, may_refetch](result<identity::authority_cache::snapshot_ptr, std::string> a) {
      if (!a) return finish(x, http::response::error(503, "The sample API cannot reach the authority to check tokens."));
      identity::access_token_rules rules;
      rules.issuer = (*a)->metadata.issuer;
      rules.audiences = {api.app_id, api.app_id_uri};
      auto claims = identity::validate_access_token(token, (*a)->keys, rules);
      if (!claims && claims.error().reason == identity::token_rejection::unknown_key && may_refetch)
        return authority->refresh_for_unknown_key([this, x, api, then](auto) { authenticate(x, api, then, false); });
      if (!claims) {
        log_info("Refused a token", {{"reason", identity::to_string(claims.error().reason)}, {"detail", claims.error().message}});
        return finish(
            x, bearer_refusal(401,
                              "Bearer error=\"invalid_token\", error_description=\"" + std::string(identity::to_string(claims.error().reason)) + "\"",
                              "The token was refused: " + claims.error().message));
      }
      caller c;
      c.claims = *claims;
      c.oid = claims->string("oid").value_or(claims->string("sub").value_or(""));
      c.name = claims->string("name").value_or("");
      c.username = claims->string("preferred_username").value_or("");
      c.scopes = identity::scopes_of(*claims);
      c.roles = identity::roles_of(*claims);
      // Entra's app tokens carry roles and no scopes; RFC 9068's name the client as subject.
      c.is_app = c.scopes.empty() || (claims->has("client_id") && claims->string("client_id") == claims->string("sub"));
      if (auto asked = claims_challenge_for(c)) {
        auto challenge = "Bearer authorization_uri=\"" + (*a)->metadata.authorization_endpoint + "\", error=\"insufficient_claims\", claims=\"" +
                         base64::encode(*asked) + "\"";
        return finish(x, bearer_refusal(401, std::move(challenge), "The token does not satisfy the claims this API requires now."));
      }
      then(c);
    });
  }

  // The claims a caller's token must satisfy and does not: an authentication context the API
  // requires, or a token issued after the user's sessions were revoked.
  std::optional<std::string> claims_challenge_for(const caller& c) {
    std::lock_guard lock(mutex);
    auto lookup = [&c](const auto& map) {
      auto it = map.find(c.oid);
      if (it == map.end()) it = map.find("*");
      return it == map.end() ? nullptr : &it->second;
    };
    if (const auto* context = lookup(required_context)) {
      auto acrs = c.claims.strings("acrs").value_or(std::vector<std::string>{});
      if (std::find(acrs.begin(), acrs.end(), *context) == acrs.end())
        return R"({"access_token":{"acrs":{"essential":true,"value":")" + *context + R"("}}})";
    }
    if (const auto* revoked = lookup(revoked_before); revoked && c.claims.integer("iat").value_or(0) < *revoked)
      return R"({"access_token":{"nbf":{"essential":true,"value":")" + std::to_string(*revoked) + R"("}}})";
    return std::nullopt;
  }

  http::handler protect(const protected_api& api, std::function<void(const http::exchange_ptr&, const caller&)> handle) {
    return api_route([this, api, handle](const http::exchange_ptr& x) { authenticate(x, api, [handle, x](const caller& c) { handle(x, c); }); });
  }

  // --- the todo API ---

  // Reading needs a user's access_as_user or Todo.ReadWrite, or an app's Todo.Read.All or Todo.ReadWrite.All.
  bool may_read(const caller& c) const {
    return c.is_app ? c.has_role("Todo.Read.All") || c.has_role("Todo.ReadWrite.All")
                    : c.has_scope("access_as_user") || c.has_scope("Todo.ReadWrite");
  }
  // Writing needs Todo.ReadWrite (incremental consent, for users) or the app role Todo.ReadWrite.All.
  std::optional<http::response> refuse_write(const caller& c) const {
    if (c.is_app) return c.has_role("Todo.ReadWrite.All") ? std::nullopt : std::optional(forbidden("The app lacks the role Todo.ReadWrite.All."));
    if (c.has_scope("Todo.ReadWrite")) return std::nullopt;
    return insufficient_scope(config.todo.app_id_uri + "/Todo.ReadWrite");
  }
  std::string owner_of(const caller& c) const { return c.is_app ? std::string() : c.oid; }

  void add_todo_routes() {
    auto& t = config.todo;
    router.get("/api/profile", protect(t, [this](const http::exchange_ptr& x, const caller& c) {
                 if (c.is_app) return finish(x, forbidden("A profile belongs to a user; this token is an app's."));
                 if (!may_read(c)) return finish(x, insufficient_scope(config.todo.app_id_uri + "/access_as_user"));
                 profile p;
                 p.id = c.oid;
                 p.display_name = c.name;
                 p.user_principal_name = c.username;
                 p.scopes = c.scopes;
                 finish(x, json_answer(200, json::write(p)));
               }));
    router.get("/api/todos", protect(t, [this](const http::exchange_ptr& x, const caller& c) {
                 if (!may_read(c))
                   return finish(x, c.is_app ? forbidden("The app lacks the role Todo.Read.All.")
                                             : insufficient_scope(config.todo.app_id_uri + "/access_as_user"));
                 finish(x, json_answer(200, json::write(c.is_app ? todos.all() : todos.of(c.oid))));
               }));
    router.get("/api/todos/{id}", protect(t, [this](const http::exchange_ptr& x, const caller& c) {
                 if (!may_read(c)) return finish(x, insufficient_scope(config.todo.app_id_uri + "/access_as_user"));
                 auto id = id_param(x);
                 auto mine = c.is_app ? todos.all() : todos.of(c.oid);
                 auto it = std::find_if(mine.begin(), mine.end(), [&](const todo& d) { return id && d.id == *id; });
                 if (it == mine.end()) return finish(x, not_found("No such todo."));
                 finish(x, json_answer(200, json::write(*it)));
               }));
    router.post("/api/todos", protect(t, [this](const http::exchange_ptr& x, const caller& c) {
                  if (auto refusal = refuse_write(c)) return finish(x, std::move(*refusal));
                  auto change = json::read_as<todo_change>(x->req().body);
                  if (!change || !change->title || change->title->empty()) return finish(x, bad_request("Send {\"title\": \"...\"}."));
                  auto created = todos.add(c.is_app ? "app" : c.oid, *change);
                  auto r = json_answer(201, json::write(created));
                  r.headers.set("Location", "/api/todos/" + std::to_string(created.id));
                  finish(x, std::move(r));
                }));
    auto update = [this](const http::exchange_ptr& x, const caller& c) {
      if (auto refusal = refuse_write(c)) return finish(x, std::move(*refusal));
      auto change = json::read_as<todo_change>(x->req().body);
      auto id = id_param(x);
      if (!change || !id) return finish(x, bad_request("Send {\"title\": \"...\", \"done\": true} to a todo's address."));
      auto changed = todos.change(owner_of(c), *id, *change);
      if (!changed) return finish(x, not_found("No such todo."));
      finish(x, json_answer(200, json::write(*changed)));
    };
    router.put("/api/todos/{id}", protect(t, update));
    router.patch("/api/todos/{id}", protect(t, update));
    router.del("/api/todos/{id}", protect(t, [this](const http::exchange_ptr& x, const caller& c) {
                 if (auto refusal = refuse_write(c)) return finish(x, std::move(*refusal));
                 auto id = id_param(x);
                 if (!id || !todos.remove(owner_of(c), *id)) return finish(x, not_found("No such todo."));
                 http::response r;
                 r.status = 204;
                 finish(x, std::move(r));
               }));
    // What the API received, for tests of every option's effect. The token itself is never echoed.
    auto echo = protect(t, [this](const http::exchange_ptr& x, const caller& c) {
      json::object headers;
      for (const auto& h : x->req().headers.all()) {
        auto value = text::iequals(h.name, "Authorization") ? h.value.substr(0, h.value.find(' ')) + " ****" : h.value;
        headers.emplace_back(text::to_lower(h.name), value);
      }
      json::array scopes, roles;
      for (const auto& s : c.scopes) scopes.emplace_back(s);
      for (const auto& r : c.roles) roles.emplace_back(r);
      json::object token{{"aud", c.claims.strings("aud").value_or(std::vector<std::string>{}).front()},
                         {"oid", c.oid},
                         {"tid", c.claims.string("tid").value_or("")},
                         {"scp", scopes},
                         {"roles", roles}};
      finish(x, json_answer(200, json::serialize(json::object{{"method", x->req().method},
                                                              {"path", x->req().path},
                                                              {"query", x->req().query},
                                                              {"headers", headers},
                                                              {"body", x->req().body},
                                                              {"token", token}})));
    });
    for (const auto* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      router.add(method, "/api/echo", echo);
      router.add(method, "/api/echo/{*rest}", echo);
    }
  }

  // --- the Graph subset ---

  void add_graph_routes() {
    auto& g = config.graph;
    router.get("/v1.0/me", protect(g, [this](const http::exchange_ptr& x, const caller& c) {
                 if (c.is_app || !(c.has_scope("User.Read") || c.has_scope("User.ReadBasic.All")))
                   return finish(x, insufficient_scope("https://graph.microsoft.com/User.Read"));
                 graph_user u;
                 u.id = c.oid;
                 u.display_name = c.name;
                 u.user_principal_name = c.username;
                 u.mail = c.username;
                 u.job_title = "Engineer";
                 finish(x, json_answer(200, json::write(u)));
               }));
    router.get("/v1.0/me/messages", protect(g, [this](const http::exchange_ptr& x, const caller& c) {
                 if (c.is_app || !c.has_scope("Mail.Read")) return finish(x, insufficient_scope("https://graph.microsoft.com/Mail.Read"));
                 messages_page(x, c);
               }));
    router.post("/v1.0/me/sendMail", protect(g, [this](const http::exchange_ptr& x, const caller& c) {
                  if (c.is_app || !c.has_scope("Mail.Send")) return finish(x, insufficient_scope("https://graph.microsoft.com/Mail.Send"));
                  if (!json::parse(x->req().body)) return finish(x, bad_request("The body must be a JSON message."));
                  http::response r;
                  r.status = 202;
                  finish(x, std::move(r));
                }));
  }

  // One page of the caller's mailbox: $filter (isRead), $select, $top (pages of at most 10, as
  // Graph caps page sizes too), and @odata.nextLink to the next page.
  void messages_page(const http::exchange_ptr& x, const caller& c) {
    auto q = query_of(x->req());
    auto mailbox = mailbox_of(c.name, c.username);
    auto filter = std::string(q.find("$filter").value_or(""));
    if (!filter.empty()) {
      if (filter != "isRead eq false" && filter != "isRead eq true")
        return finish(x, bad_request("Invalid filter clause: only isRead eq true|false is supported here."));
      bool wanted = filter.ends_with("true");
      std::erase_if(mailbox, [&](const message& m) { return m.is_read != wanted; });
    }
    auto top = std::min<std::size_t>(text::parse_unsigned(q.find("$top").value_or("10")).value_or(10), 1000);
    auto skip = static_cast<std::size_t>(text::parse_unsigned(q.find("$skip").value_or("0")).value_or(0));
    auto page_size = std::min<std::size_t>(std::max<std::size_t>(top, 1), 10);
    std::vector<std::string> select;
    auto selected = std::string(q.find("$select").value_or(""));
    for (auto field : text::split(selected, ','))
      if (!field.empty()) select.emplace_back(text::trim(field));
    json::array value;
    for (std::size_t i = skip; i < mailbox.size() && i < skip + page_size; ++i) {
      auto item = json::to_value(mailbox[i]);
      if (!select.empty()) {
        std::erase_if(*item.if_object(), [&](const auto& member) {
          return member.first != "id" &&
                 std::none_of(select.begin(), select.end(), [&](const std::string& s) { return text::iequals(s, member.first); });
        });
      }
      value.push_back(std::move(item));
    }
    json::object page{{"@odata.context", base + "/v1.0/$metadata#users('" + c.oid + "')/messages"}, {"value", value}};
    if (skip + page_size < mailbox.size()) {
      text::form_fields next;
      next.add("$top", std::to_string(top)).add("$skip", std::to_string(skip + page_size));
      if (!filter.empty()) next.add("$filter", filter);
      if (!selected.empty()) next.add("$select", selected);
      page.emplace_back("@odata.nextLink", base + "/v1.0/me/messages?" + next.encode());
    }
    finish(x, json_answer(200, json::serialize(page)));
  }

  // --- test and benchmark controls ---

  http::handler admin(std::function<std::string(const text::form_fields&)> act) {
    return [act](const http::exchange_ptr& x) {
      if (!http::is_local_tool_request(x->req()))
        return void(x->respond(
            http::response::error(403, "Admin endpoints answer only scripts on this machine (named localhost or 127.0.0.1), not web pages.")));
      auto form = text::form_fields::parse(x->req().body);
      if (!form) return void(x->respond(http::response::error(400, "Send the settings as a form (application/x-www-form-urlencoded).")));
      x->respond(http::response::text(200, act(*form) + "\n"));
    };
  }

  void add_admin_routes(server& s) {
    router.post("/admin/faults", admin([&s](const text::form_fields& f) {
                  faults injected;
                  auto mode = f.find("mode").value_or("none");
                  using m = faults::mode;
                  static const std::map<std::string_view, m> modes = {{"none", m::none},
                                                                      {"unavailable", m::unavailable},
                                                                      {"throttled", m::throttled},
                                                                      {"server_error", m::server_error},
                                                                      {"malformed_json", m::malformed_json},
                                                                      {"wrong_types", m::wrong_types},
                                                                      {"huge_body", m::huge_body},
                                                                      {"never_answer", m::never_answer}};
                  auto it = modes.find(mode);
                  if (it == modes.end())
                    return std::string("unknown mode '") + std::string(mode) +
                           "'; use none, unavailable, throttled, server_error, malformed_json, wrong_types, huge_body or never_answer";
                  injected.kind = it->second;
                  injected.latency = std::chrono::milliseconds(text::parse_unsigned(f.find("latency_ms").value_or("0")).value_or(0));
                  injected.retry_after = std::chrono::seconds(text::parse_unsigned(f.find("retry_after").value_or("5")).value_or(5));
                  injected.times = text::parse_unsigned(f.find("times").value_or("0")).value_or(0);
                  s.set_faults(injected);
                  return "faults set: mode=" + std::string(mode) + " latency_ms=" + std::to_string(injected.latency.count());
                }));
    router.get("/admin/stats", [&s](const http::exchange_ptr& x) {
      auto st = s.stats();
      x->respond(json_answer(
          200, json::serialize(json::object{{"requests", st.requests}, {"in_flight", st.in_flight}, {"max_in_flight", st.max_in_flight}})));
    });
    router.post("/admin/stats/reset", admin([&s](const text::form_fields&) {
                  s.reset_statistics();
                  return std::string("statistics reset");
                }));
    router.post("/admin/require-context", admin([&s](const text::form_fields& f) {
                  s.require_authentication_context(std::string(f.find("user").value_or("*")), std::string(f.find("context").value_or("c1")));
                  return std::string("authentication context required");
                }));
    router.post("/admin/revoke-sessions", admin([&s](const text::form_fields& f) {
                  s.revoke_sessions(std::string(f.find("user").value_or("*")));
                  return std::string("sessions revoked");
                }));
  }
};

result<settings, std::vector<config::problem>> load_settings(const std::string& path, char** environment) {
  auto layers = config::load_layers(path, environment);
  if (!layers) return failure{std::move(layers.error())};
  config::section_reader r(*layers);
  settings s;
  s.listen_address = r.text("SampleApi:ListenAddress", s.listen_address);
  s.port = static_cast<std::uint16_t>(r.number("SampleApi:Port", s.port));
  s.io_threads = static_cast<unsigned>(r.number("SampleApi:IoThreads", s.io_threads));
  s.authority = r.required("SampleApi:Authority");
  s.todo.app_id = r.text("SampleApi:TodoApi:AppId", s.todo.app_id);
  s.todo.app_id_uri = r.text("SampleApi:TodoApi:AppIdUri", s.todo.app_id_uri);
  s.admin_enabled = r.flag("SampleApi:AdminEnabled");
  s.tls_certificate_path = r.text("SampleApi:Tls:CertificatePath");
  s.tls_key_path = r.text("SampleApi:Tls:KeyPath");
  s.ca_bundle_path = r.text("SampleApi:CaBundlePath");
  if (s.tls_certificate_path.empty() != s.tls_key_path.empty()) r.problem("SampleApi:Tls", "needs both CertificatePath and KeyPath, or neither");
  if (!r.problems.empty()) return failure{std::move(r.problems)};
  return s;
}

server::server(settings s) : impl_(std::make_unique<impl>()) { impl_->config = std::move(s); }

server::~server() {
  stop();
  wait();
}

result<std::uint16_t, std::string> server::start() {
  auto& i = *impl_;
  http::client_options o;
  o.ca_bundle_path = i.config.ca_bundle_path;
  auto client = http::client::create(o);
  if (!client) return failure{client.error()};
  i.web = std::move(*client);
  i.authority = std::make_unique<identity::authority_cache>(i.config.authority, actors::fetch_over(*i.web));
  i.add_todo_routes();
  i.add_graph_routes();
  if (i.config.admin_enabled) i.add_admin_routes(*this);
  i.dispatcher = std::make_unique<http::inline_dispatcher>(i.router);
  http::server_options options;
  options.address = i.config.listen_address;
  options.port = i.config.port;
  options.io_threads = i.config.io_threads;
  options.tls_certificate_path = i.config.tls_certificate_path;
  options.tls_key_path = i.config.tls_key_path;
  i.http_server = std::make_unique<http::server>(options, *i.dispatcher);
  auto started = i.http_server->start();
  if (!started) return started;
  i.base = std::string(i.config.tls_certificate_path.empty() ? "http" : "https") + "://" + i.config.listen_address + ":" + std::to_string(*started);
  log_info("Sample API ready", {{"base_url", i.base}, {"authority", i.config.authority}});
  return started;
}

void server::stop() {
  auto& i = *impl_;
  i.delayed->release();
  std::vector<http::exchange_ptr> held;
  {
    std::lock_guard lock(i.mutex);
    held.swap(i.held);
  }
  for (auto& x : held) x->respond(http::response::error(503, "The sample API is stopping."));
  if (i.http_server) i.http_server->stop();
}

void server::wait() {
  if (impl_->http_server) impl_->http_server->wait();
}

std::string server::base_url() const { return impl_->base; }

void server::set_faults(faults f) {
  std::vector<http::exchange_ptr> released;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->injected = f;
    if (f.kind != faults::mode::never_answer) released.swap(impl_->held);
  }
  for (auto& x : released) impl_->finish(x, http::response::error(503, "The sample API was told to answer again."));
}

statistics server::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counts;
}

void server::reset_statistics() {
  std::lock_guard lock(impl_->mutex);
  impl_->counts.requests = 0;
  impl_->counts.max_in_flight = impl_->counts.in_flight;
}

void server::require_authentication_context(std::string user_oid, std::string context) {
  std::lock_guard lock(impl_->mutex);
  impl_->required_context[std::move(user_oid)] = std::move(context);
}

void server::revoke_sessions(std::string user_oid) {
  std::lock_guard lock(impl_->mutex);
  impl_->revoked_before[std::move(user_oid)] = std::chrono::duration_cast<std::chrono::seconds>(clock::now().time_since_epoch()).count();
}

} // namespace onbehalf::sample_api
