// The front channel: the authorize endpoint and the pages a user goes through before the app gets
// its code. Each step stores its outcome in the pending flow and sends the browser on.
#include "core.hpp"
#include "pages.hpp"

#include "onbehalf/core/crypto.hpp"

#include <algorithm>
#include <functional>

namespace onbehalf::devauthority {

namespace {

// One permission of a middle tier that a user's consent to a client covers too.
struct combined_grant {
  const app* middle_tier;
  const resource* downstream;
  std::string scope;
};

// Entra's combined consent: a user who consents to `f`'s client using an API consents as well to
// what that API's app needs downstream (its required permissions), when the API's app names the
// client among its knownClientApplications. Returns what the user has not consented to yet, or
// everything with prompt=consent.
std::vector<combined_grant> combined_consent(authority_core& core, const tenant& t, const pending_flow& f,
                                             const std::map<const resource*, requested_scopes>& requested) {
  std::vector<combined_grant> out;
  for (const auto& [res, asked] : requested) {
    const app* middle = t.find_app(res->app_id);
    if (!middle || middle->client_id == f.client_id) continue;
    const auto& known = middle->known_client_applications;
    if (std::find(known.begin(), known.end(), f.client_id) == known.end()) continue;
    for (const auto& [uri, scopes] : middle->required_permissions) {
      const resource* downstream = find_resource(t, uri);
      if (!downstream) continue;
      const auto& granted = core.consents[authority_core::consent_key(f.user_name, middle->client_id, downstream->app_id_uri)];
      for (const auto& s : scopes)
        if (!granted.count(s) || f.prompt == "consent") out.push_back({middle, downstream, s});
    }
  }
  return out;
}

constexpr std::string_view session_cookie = "devauthority_session";

http::response html(unsigned status, std::string body) {
  auto r = http::response::text(status, std::move(body));
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  return r;
}

http::response redirect(std::string location) {
  http::response r;
  r.status = 302;
  r.headers.set("Location", std::move(location));
  r.headers.set("Cache-Control", "no-store");
  return r;
}

http::response see_other(std::string location) {
  auto r = redirect(std::move(location));
  r.status = 303;
  return r;
}

// Sends the authorization response (a code or an error) to the app, by query or form_post.
http::response to_app(const pending_flow& f, std::vector<std::pair<std::string, std::string>> fields) {
  if (!f.state.empty()) fields.emplace_back("state", f.state);
  if (f.form_post) return html(200, pages::form_post(f.redirect_uri, fields));
  text::form_fields query;
  for (const auto& [name, value] : fields) query.add(name, value);
  return redirect(f.redirect_uri + (f.redirect_uri.find('?') == std::string::npos ? "?" : "&") + query.encode());
}

http::response error_to_app(const pending_flow& f, std::string error, long aadsts, std::string description) {
  return to_app(f, {{"error", std::move(error)}, {"error_description", "AADSTS" + std::to_string(aadsts) + ": " + description}});
}

// The flow ends with `answer` for the app (its code, or an error), built before the flow it
// names is forgotten.
http::response end_flow(authority_core& core, const std::string& flow_id, http::response answer) {
  core.flows.erase(flow_id);
  return answer;
}

std::string continue_url(const authority_core& core, const pending_flow& f, const std::string& flow_id) {
  return core.endpoint(f.prefix, "/devauthority/continue?flow=" + text::percent_encode(flow_id));
}

std::string action_url(const authority_core& core, const pending_flow& f, std::string_view step) {
  return core.endpoint(f.prefix, "/devauthority/" + std::string(step));
}

bool policy_is(const pending_flow& f, std::string_view suffix) { return f.policy.ends_with(suffix); }

// Starts an authority session for `user_name` and sends the browser on with the flow.
http::response signed_in(authority_core& core, pending_flow& f, const std::string& flow_id, const std::string& user_name) {
  auto session_id = crypto::random_token(24);
  core.sessions[session_id] = sign_in_session{user_name, false};
  f.user_name = user_name;
  auto r = see_other(continue_url(core, f, flow_id));
  r.headers.add("Set-Cookie", std::string(session_cookie) + "=" + session_id + "; Path=/; HttpOnly; SameSite=Lax");
  return r;
}

sign_in_session* session_of(authority_core& core, const http::exchange& x) {
  auto id = http::find_cookie(x.req().headers, session_cookie);
  if (!id) return nullptr;
  auto it = core.sessions.find(*id);
  return it == core.sessions.end() ? nullptr : &it->second;
}

// Decides the next step of a flow, under the core's lock: a page, or the code for the app.
http::response advance(authority_core& core, const std::string& flow_id, const http::exchange& x) {
  auto it = core.flows.find(flow_id);
  if (it == core.flows.end() || it->second.expires < clock::now())
    return html(400, pages::error("Sign-in expired", "This sign-in took too long or was already completed. Start again from the application."));
  auto& f = it->second;
  const app* a = core.find_app(f.client_id);
  auto* session = session_of(core, x);

  if (f.user_name.empty()) {
    if (policy_is(f, "_reset")) return html(200, pages::reset_password(action_url(core, f, "reset"), flow_id, f.login_hint, {}));
    if (!session || f.prompt == "login" || (!f.login_hint.empty() && !text::iequals(f.login_hint, session->user_name)))
      return html(200, pages::sign_in(action_url(core, f, "login"), flow_id, a->display_name, f.login_hint, {}, !f.policy.empty()));
    f.user_name = session->user_name;
  }
  if (policy_is(f, "_edit_profile") && !f.profile_edited)
    return html(200, pages::edit_profile(action_url(core, f, "profile"), flow_id, core.mutable_user(f.user_name)->display_name));
  const tenant* home = core.dir.home_tenant_of(f.user_name);
  const tenant* named = core.tenant_for(f.tenant_path);
  bool multi_tenant = f.tenant_path == "common" || f.tenant_path == "organizations";
  if (!multi_tenant && named != home)
    return error_to_app(f, "invalid_request", 50020, "User account '" + f.user_name + "' does not exist in tenant '" + f.tenant_path + "'.");

  auto requested = resource_scopes(*home, *a, f.scopes);
  if (!requested) return error_to_app(f, requested.error().error, requested.error().aadsts, requested.error().description);
  pages::permissions_asked missing;
  bool needs_second_factor = !f.claims.empty();
  for (const auto& [res, asked] : *requested) {
    needs_second_factor = needs_second_factor || res->requires_mfa;
    auto& granted = core.consents[authority_core::consent_key(f.user_name, f.client_id, res->app_id_uri)];
    for (const auto& s : asked.names)
      if ((!granted.count(s) && !asked.admin_consented.count(s)) || f.prompt == "consent") missing.for_app.push_back(res->app_id_uri + "/" + s);
  }
  for (const auto& g : combined_consent(core, *home, f, *requested)) {
    auto& apis = missing.for_apis_it_calls;
    if (apis.empty() || apis.back().first != g.middle_tier->display_name) apis.emplace_back(g.middle_tier->display_name, std::vector<std::string>{});
    apis.back().second.push_back(g.downstream->app_id_uri + "/" + g.scope);
  }
  if (!missing.empty() && !f.consented)
    return html(200, pages::consent(action_url(core, f, "consent"), flow_id, a->display_name, f.user_name, missing));
  bool second_factor_done = session && session->user_name == f.user_name && session->second_factor;
  if (needs_second_factor && !second_factor_done) return html(200, pages::second_factor(action_url(core, f, "mfa"), flow_id, f.user_name, {}));

  auto code = crypto::random_token(32);
  std::vector<std::string> amr{"pwd"};
  if (second_factor_done) amr.push_back("mfa");
  core.codes[code] = issued_code{f.policy,
                                 f.client_id,
                                 f.redirect_uri,
                                 f.code_challenge,
                                 f.nonce,
                                 f.user_name,
                                 f.scopes,
                                 amr,
                                 clock::now() + core.dir.token_lifetimes.authorization_code,
                                 false,
                                 f.claims};
  return end_flow(core, flow_id, to_app(f, {{"code", code}}));
}

} // namespace

void handle_authorize(authority_core& core, const http::exchange_ptr& x) {
  auto q = text::form_fields::parse(x->req().query);
  if (!q) return void(x->respond(html(400, pages::error("Bad request", "The request's query string is malformed."))));
  auto get = [&](std::string_view name) { return std::string(q->find(name).value_or("")); };
  std::lock_guard lock(core.mutex);
  auto tenant_path = std::string(x->param("tenant"));
  if (!core.tenant_for(tenant_path))
    return void(x->respond(html(400, pages::error("Tenant not found", "AADSTS90002: Tenant '" + tenant_path + "' not found."))));
  if (auto bad_policy = check_policy(core, *x)) return void(x->respond(html(400, pages::error("User flow not found", bad_policy->description))));
  const app* a = core.find_app(get("client_id"));
  if (!a)
    return void(x->respond(html(400, pages::error("Application not found", "AADSTS700016: Application with identifier '" + get("client_id") +
                                                                               "' was not found in the directory."))));
  auto redirect_uri = get("redirect_uri");
  if (std::find(a->redirect_uris.begin(), a->redirect_uris.end(), redirect_uri) == a->redirect_uris.end())
    return void(x->respond(html(400, pages::error("Reply address mismatch",
                                                  "AADSTS50011: The redirect URI '" + redirect_uri +
                                                      "' does not match the redirect URIs configured for the application '" + a->client_id + "'."))));
  pending_flow f;
  f.prefix = route_prefix(*x);
  f.tenant_path = tenant_path;
  f.policy = text::to_lower(x->param("policy"));
  f.client_id = a->client_id;
  f.redirect_uri = redirect_uri;
  f.state = get("state");
  f.nonce = get("nonce");
  f.code_challenge = get("code_challenge");
  f.form_post = get("response_mode") == "form_post";
  auto scope = get("scope");
  for (auto s : text::split(scope, ' '))
    if (!s.empty()) f.scopes.emplace_back(s);
  f.prompt = get("prompt");
  f.login_hint = get("login_hint");
  f.claims = get("claims");
  f.expires = clock::now() + std::chrono::minutes(10);
  if (get("response_type") != "code")
    return void(x->respond(error_to_app(f, "unsupported_response_type", 900144, "Only response_type=code is supported.")));
  if (f.code_challenge.empty() || get("code_challenge_method") != "S256")
    return void(
        x->respond(error_to_app(f, "invalid_request", 9002325, "Proof Key for Code Exchange (code_challenge with method S256) is required.")));
  auto flow_id = crypto::random_token(24);
  core.flows[flow_id] = std::move(f);
  x->respond(advance(core, flow_id, *x));
}

void handle_continue(authority_core& core, const http::exchange_ptr& x) {
  auto q = text::form_fields::parse(x->req().query);
  std::lock_guard lock(core.mutex);
  x->respond(advance(core, std::string(q ? q->find("flow").value_or("") : ""), *x));
}

namespace {

using flow_step = std::function<http::response(pending_flow&, const std::string& flow_id, const text::form_fields&)>;

// Runs one page's form post against its flow. A missing, finished or not-yet-signed-in flow goes
// back through advance(), which shows the page that explains or comes first.
void on_flow_post(authority_core& core, const http::exchange_ptr& x, bool needs_user, const flow_step& step) {
  auto form = form_of(*x);
  std::lock_guard lock(core.mutex);
  auto flow_id = std::string(form ? form->find("flow").value_or("") : "");
  auto it = core.flows.find(flow_id);
  if (!form || it == core.flows.end() || (needs_user && it->second.user_name.empty())) return void(x->respond(advance(core, flow_id, *x)));
  x->respond(step(it->second, flow_id, *form));
}

// B2C answers a choice its pages offer beside the flow's own step ("Forgot your password?",
// "Cancel") with an error for the app to act on.
http::response b2c_choice_to_app(authority_core& core, const pending_flow& f, const std::string& flow_id, const std::string& description) {
  return end_flow(core, flow_id, to_app(f, {{"error", "access_denied"}, {"error_description", description}}));
}

} // namespace

void handle_sign_in(authority_core& core, const http::exchange_ptr& x) {
  on_flow_post(core, x, false, [&](pending_flow& f, const std::string& flow_id, const text::form_fields& form) {
    if (form.find("forgot") && !f.policy.empty()) return b2c_choice_to_app(core, f, flow_id, "AADB2C90118: The user has forgotten their password.");
    auto user_name = std::string(form.find("username").value_or(""));
    const tenant* home = core.dir.home_tenant_of(user_name);
    const user* u = home ? home->find_user(user_name) : nullptr;
    if (!u || !crypto::constant_time_equals(u->password.reveal(), form.find("password").value_or("")))
      return html(200, pages::sign_in(action_url(core, f, "login"), flow_id, core.find_app(f.client_id)->display_name, user_name,
                                      "Your account or password is incorrect.", !f.policy.empty()));
    return signed_in(core, f, flow_id, u->user_name);
  });
}

void handle_consent(authority_core& core, const http::exchange_ptr& x) {
  on_flow_post(core, x, true, [&](pending_flow& f, const std::string& flow_id, const text::form_fields& form) {
    if (form.find("decision") != "accept")
      return end_flow(core, flow_id, error_to_app(f, "access_denied", 65004, "User declined to consent to access the app."));
    const tenant* home = core.dir.home_tenant_of(f.user_name);
    if (auto requested = resource_scopes(*home, *core.find_app(f.client_id), f.scopes)) {
      for (const auto& g : combined_consent(core, *home, f, *requested))
        core.consents[authority_core::consent_key(f.user_name, g.middle_tier->client_id, g.downstream->app_id_uri)].insert(g.scope);
      for (const auto& [res, asked] : *requested) {
        auto& granted = core.consents[authority_core::consent_key(f.user_name, f.client_id, res->app_id_uri)];
        granted.insert(asked.names.begin(), asked.names.end());
      }
    }
    f.consented = true;
    return see_other(continue_url(core, f, flow_id));
  });
}

void handle_second_factor(authority_core& core, const http::exchange_ptr& x) {
  on_flow_post(core, x, true, [&](pending_flow& f, const std::string& flow_id, const text::form_fields& form) {
    auto* session = session_of(core, *x);
    if (!session) return advance(core, flow_id, *x);
    if (form.find("code") != pages::mfa_code)
      return html(200, pages::second_factor(action_url(core, f, "mfa"), flow_id, f.user_name, "That code is not right. Try again."));
    session->second_factor = true;
    return see_other(continue_url(core, f, flow_id));
  });
}

void handle_edit_profile(authority_core& core, const http::exchange_ptr& x) {
  on_flow_post(core, x, true, [&](pending_flow& f, const std::string& flow_id, const text::form_fields& form) {
    if (form.find("cancel")) return b2c_choice_to_app(core, f, flow_id, "AADB2C90091: The user has cancelled entering self-asserted information.");
    if (auto name = form.find("display_name"); name && !name->empty()) core.mutable_user(f.user_name)->display_name = std::string(*name);
    f.profile_edited = true;
    return see_other(continue_url(core, f, flow_id));
  });
}

void handle_reset_password(authority_core& core, const http::exchange_ptr& x) {
  on_flow_post(core, x, false, [&](pending_flow& f, const std::string& flow_id, const text::form_fields& form) {
    // Only a password-reset user flow may set a password; any other flow just continues.
    if (!policy_is(f, "_reset")) return advance(core, flow_id, *x);
    auto user_name = std::string(form.find("username").value_or(""));
    auto new_password = std::string(form.find("new_password").value_or(""));
    user* u = core.mutable_user(user_name);
    if (!u || new_password.size() < 8)
      return html(200, pages::reset_password(action_url(core, f, "reset"), flow_id, user_name,
                                             u ? "Choose a password of at least 8 characters." : "We can't find that account."));
    u->password = secret(new_password);
    return signed_in(core, f, flow_id, u->user_name);
  });
}

void handle_logout(authority_core& core, const http::exchange_ptr& x) {
  auto q = text::form_fields::parse(x->req().query);
  std::lock_guard lock(core.mutex);
  std::string user_name;
  if (auto id = http::find_cookie(x->req().headers, session_cookie)) {
    if (auto it = core.sessions.find(*id); it != core.sessions.end()) {
      user_name = it->second.user_name;
      core.sessions.erase(it);
    }
  }
  auto target = std::string(q ? q->find("post_logout_redirect_uri").value_or("") : "");
  bool registered = false;
  for (const auto& t : core.dir.tenants)
    for (const auto& a : t.apps)
      registered = registered ||
                   std::find(a.post_logout_redirect_uris.begin(), a.post_logout_redirect_uris.end(), target) != a.post_logout_redirect_uris.end();
  // Only registered addresses: the logout endpoint must not become an open redirector.
  http::response r = registered ? redirect(target + (q && q->find("state") ? (target.find('?') == std::string::npos ? "?" : "&") +
                                                                                 text::form_fields().add("state", *q->find("state")).encode()
                                                                           : ""))
                                : html(200, pages::signed_out(user_name));
  r.headers.add("Set-Cookie", std::string(session_cookie) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  x->respond(std::move(r));
}

} // namespace onbehalf::devauthority
