#include "pages.hpp"

#include "layout.hpp"

#include "contract.hpp" // the sample web API's
#include "onbehalf/actors/call_failure.hpp"
#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/actors/graph.hpp"
#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/actors/token_credential.hpp"
#include "onbehalf/actors/web_authentication.hpp"
#include "onbehalf/cache/token_records.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/sample_api/contract.hpp"

#include <chrono>

namespace onbehalf::sample {

namespace {

using actors::downstream_call_options;
using actors::or_throw;

using sample_api::profile;
using sample_api::todo;
using sample_api::todo_change;

void at(downstream_call_options& o, std::string path) { o.relative_path = std::move(path); }

std::string form_value(const http::request& r, std::string_view name) {
  auto fields = text::form_fields::parse(r.body).value_or(text::form_fields{});
  return std::string(text::trim(fields.find(name).value_or("")));
}

// The id arrives decoded from the page's path: encoded again, it cannot add path segments or
// end the API's request line.
std::string todo_path(const http::exchange_ptr& x) { return "api/todos/" + text::percent_encode(x->param("id")); }

task<void> show_profile(actors::downstream_api& apis, http::exchange_ptr x) {
  auto p = or_throw(co_await apis.get_for_user<profile>(x, "MyAPI", [](downstream_call_options& o) { at(o, "api/profile"); }));
  x->respond(page(x, "Profile",
                  "<div class=\"card\"><table><tr><th>Name</th><td>" + html(p.display_name) + "</td></tr><tr><th>Sign-in name</th><td>" +
                      html(p.user_principal_name) + "</td></tr><tr><th>Object id</th><td><code>" + html(p.id) +
                      "</code></td></tr><tr><th>Scopes the API saw</th><td>" + html(text::join(p.scopes, " ")) +
                      "</td></tr></table></div>"
                      "<p>Served by the sample API with your token, which onbehalf acquired and cached.</p>"));
}

task<void> show_emails(actors::downstream_api& apis, http::exchange_ptr x) {
  actors::graph::client graph(apis);
  actors::graph::messages_query q;
  q.top = 10;
  auto messages = or_throw(co_await graph.me_messages(x, q));
  std::string rows;
  for (const auto& m : messages) {
    auto from = m.from ? m.from->email_address.name : std::string();
    rows += "<tr><td>" + html(from) + "</td><td>" + html(m.subject.value_or("")) + "</td><td>" + html(m.received_date_time.value_or("")) +
            "</td><td>" + (m.is_read.value_or(false) ? "read" : "<strong>unread</strong>") + "</td></tr>";
  }
  x->respond(page(x, "Emails",
                  "<p>Your latest " + std::to_string(messages.size()) +
                      " messages from Microsoft Graph (the sample API's Graph subset), pages followed by <code>@odata.nextLink</code>.</p>"
                      "<table><tr><th>From</th><th>Subject</th><th>Received</th><th></th></tr>" +
                      rows + "</table>"));
}

task<void> show_todos(actors::downstream_api& apis, http::exchange_ptr x) {
  auto todos = or_throw(co_await apis.get_for_user<std::vector<todo>>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/todos"); }));
  std::string rows;
  for (const auto& t : todos) {
    auto id = std::to_string(t.id);
    rows += "<tr><td>" + std::string(t.done ? "✔" : "") + "</td><td>" + html(t.title) + "</td><td>" +
            "<form class=\"inline\" method=\"post\" action=\"/todos/" + id + "/done\"><button>Done</button></form> " +
            "<form class=\"inline\" method=\"post\" action=\"/todos/" + id +
            "/rename\"><input type=\"text\" name=\"title\" placeholder=\"New title\"> <button>Rename</button></form> " +
            "<form class=\"inline\" method=\"post\" action=\"/todos/" + id + "/delete\"><button>Delete</button></form></td></tr>";
  }
  x->respond(
      page(x, "Todos",
           "<form method=\"post\" action=\"/todos\"><input type=\"text\" name=\"title\" placeholder=\"Something to do\"> <button>Add</button></form>"
           "<table><tr><th></th><th>Title</th><th></th></tr>" +
               rows +
               "</table>"
               "<p>Writing needs <code>Todo.ReadWrite</code>: the first visit asks for it (incremental consent).</p>"));
}

// Each write goes to the API with its own verb (POST, PATCH, PUT, DELETE), then back to the list.
task<void> create_todo(actors::downstream_api& apis, http::exchange_ptr x) {
  todo_change draft;
  draft.title = form_value(x->req(), "title");
  if (draft.title->empty()) draft.title = "Something to do";
  or_throw(co_await apis.post_for_user<todo_change>(x, "TodoList", draft, [](downstream_call_options& o) { at(o, "api/todos"); }));
  x->respond(http::response::redirect("/todos"));
}

task<void> finish_todo(actors::downstream_api& apis, http::exchange_ptr x) {
  todo_change done;
  done.done = true;
  auto path = todo_path(x);
  or_throw(co_await apis.patch_for_user<todo_change>(x, "TodoList", done, [&path](downstream_call_options& o) { at(o, path); }));
  x->respond(http::response::redirect("/todos"));
}

task<void> rename_todo(actors::downstream_api& apis, http::exchange_ptr x) {
  todo_change renamed;
  renamed.title = form_value(x->req(), "title");
  auto path = todo_path(x);
  if (!renamed.title->empty())
    or_throw(co_await apis.put_for_user<todo_change>(x, "TodoList", renamed, [&path](downstream_call_options& o) { at(o, path); }));
  x->respond(http::response::redirect("/todos"));
}

task<void> delete_todo(actors::downstream_api& apis, http::exchange_ptr x) {
  auto path = todo_path(x);
  or_throw(co_await apis.delete_for_user(x, "TodoList", [&path](downstream_call_options& o) { at(o, path); }));
  x->respond(http::response::redirect("/todos"));
}

// Optional data: each part falls back on its own when its API fails (the spec's Dashboard).
task<void> show_dashboard(actors::downstream_api& apis, http::exchange_ptr x) {
  profile nobody;
  nobody.display_name = "(your profile is unavailable right now)";
  auto p = actors::value_or(co_await apis.get_for_user<profile>(x, "MyAPI", [](downstream_call_options& o) { at(o, "api/profile"); }), nobody,
                            "the dashboard's profile");
  auto todos = actors::value_or(co_await apis.get_for_user<std::vector<todo>>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/todos"); }),
                                std::vector<todo>{}, "the dashboard's todos");
  std::size_t open = 0;
  for (const auto& t : todos) open += !t.done;
  x->respond(page(x, "Dashboard",
                  "<div class=\"card\"><strong>" + html(p.display_name) + "</strong></div><div class=\"card\">" + std::to_string(open) +
                      " open todos</div><p>When a service fails, this page shows defaults instead of an error, and the log says why.</p>"));
}

// Two APIs at once (the spec's fan-out): the sample API and Graph, awaited together.
task<void> show_parallel(actors::downstream_api& apis, http::exchange_ptr x) {
  actors::graph::client graph(apis);
  auto started = std::chrono::steady_clock::now();
  auto [p, me] = co_await when_all(apis.get_for_user<profile>(x, "MyAPI", [](downstream_call_options& o) { at(o, "api/profile"); }), graph.me(x));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  auto p_value = or_throw(std::move(p));
  auto me_value = or_throw(std::move(me));
  x->respond(page(x, "Parallel",
                  "<div class=\"card\">From the sample API: <strong>" + html(p_value.display_name) +
                      "</strong></div>"
                      "<div class=\"card\">From Graph: <strong>" +
                      html(me_value.display_name) + "</strong> (" + html(me_value.user_principal_name) +
                      ")</div>"
                      "<p>Both calls ran concurrently; together they took " +
                      std::to_string(took) + " ms.</p>"));
}

// A middle tier: the sample web API, called with the user's token, calls the sample API and Graph
// on the user's behalf (on-behalf-of) and says what each saw.
task<void> show_overview(actors::downstream_api& apis, http::exchange_ptr x) {
  auto o = or_throw(co_await apis.get_for_user<sample_webapi::overview>(x, "Overview", [](downstream_call_options& c) { at(c, "api/overview"); }));
  x->respond(page(x, "Overview",
                  "<table><tr><th>The sample web API saw</th><td>" + html(o.caller) + "</td></tr><tr><th>The sample API saw</th><td>" +
                      html(o.profile.display_name) + "</td></tr><tr><th>Graph saw</th><td>" + html(o.graph_display_name) +
                      "</td></tr><tr><th>Open todos</th><td>" + std::to_string(o.open_todos) +
                      "</td></tr></table>"
                      "<p>This app called the sample web API with your token; it called the sample API and Graph for you with tokens "
                      "the authority issued on behalf of yours.</p>"));
}

// The middle tier reads Graph's mail with a permission of its own. Until the user consented to it
// for the middle tier, the middle tier answers 403 naming it; onbehalf then sends the user to
// consent to this app's scope for the middle tier again, where the authority asks for the middle
// tier's new permission too (combined consent), and the page is shown after.
task<void> show_inbox(actors::downstream_api& apis, http::exchange_ptr x) {
  auto in = or_throw(co_await apis.get_for_user<sample_webapi::inbox>(x, "Overview", [](downstream_call_options& c) { at(c, "api/inbox"); }));
  std::string rows;
  for (const auto& s : in.subjects) rows += "<tr><td>" + html(s) + "</td></tr>";
  x->respond(page(x, "Inbox",
                  "<p>The sample web API read " + std::to_string(in.subjects.size()) + " messages for " + html(in.caller) +
                      " from Graph, with a permission you consented to for it through this app.</p><table><tr><th>Subject</th></tr>" + rows +
                      "</table>"));
}

// Azure Storage with the user's token, as an Azure SDK would get it from a token credential.
task<void> show_blobs(actors::host& h, std::string endpoint, http::exchange_ptr x) {
  if (endpoint.empty())
    co_return void(x->respond(page(x, "Blobs",
                                   notice("Blob storage is not configured (Sample:BlobEndpoint). scripts/run sets it when Azurite is installed "
                                          "(scripts/test installs it)."))));
  auto credential = actors::token_credential::for_user(h.tokens(), actors::signed_in_user(x));
  std::vector<std::string> scopes{"https://storage.azure.com/user_impersonation"};
  auto token = or_throw(co_await credential.get_token(scopes));
  auto call = [&](std::string method, std::string path, std::string body, bool blob) {
    http::client_request r{std::move(method), endpoint + path, {}, std::move(body), {}};
    r.headers.set("Authorization", "Bearer " + token.token.reveal());
    r.headers.set("x-ms-version", "2021-12-02");
    if (blob) r.headers.set("x-ms-blob-type", "BlockBlob");
    return when_called_back<http::client_result>(
        [&h, r](std::function<void(http::client_result)> done) { h.services().web().send(r, std::move(done)); });
  };
  auto listed = co_await call("GET", "/samples?restype=container&comp=list", {}, false);
  if (listed && listed->status == 404) { // first visit: make the container and a blob to list
    co_await call("PUT", "/samples?restype=container", {}, false);
    co_await call("PUT", "/samples/hello-from-onbehalf.txt", "Hello from onbehalf", true);
    listed = co_await call("GET", "/samples?restype=container&comp=list", {}, false);
  }
  if (!listed || listed->status != 200)
    co_return void(x->respond(page(x, "Blobs", notice("The storage service could not be reached or refused the request. Try again later."), 503)));
  std::string rows;
  for (auto at = listed->body.find("<Name>"); at != std::string::npos; at = listed->body.find("<Name>", at + 6))
    rows += "<li>" + html(listed->body.substr(at + 6, listed->body.find("</Name>", at) - at - 6)) + "</li>";
  x->respond(page(x, "Blobs", "<p>The blobs of the <code>samples</code> container, listed with your token:</p><ul>" + rows + "</ul>"));
}

// The spec's AdvancedController: the handler takes the challenge as a value and sends the user itself.
task<void> send_mail(actors::host& h, http::exchange_ptr x) {
  actors::graph::client graph(h.downstream_apis(), "GraphMail");
  actors::graph::outgoing_message m;
  m.subject = form_value(x->req(), "subject");
  m.body.content = form_value(x->req(), "body");
  actors::graph::recipient to;
  to.email_address.address = std::string(x->user->username());
  m.to_recipients = {to};
  auto sent = co_await graph.send_mail(x, m);
  if (sent) co_return void(x->respond(http::response::redirect("/send-mail?sent=1")));
  if (const auto* c = sent.error().as<actors::challenge>()) {
    log_warning("Consent required to send mail; challenging the user", {{"scopes", text::join(c->scopes, ", ")}});
    auto s = actors::sign_in_request::to("/send-mail?consented=1");
    s.scopes = c->scopes;
    s.claims = c->claims;
    s.items = {{"consent_attempt", "1"}};
    co_return h.authentication().challenge(x, std::move(s));
  }
  x->respond(actors::failure_page(sent.error(), x->req()));
}

http::response mail_form(const http::exchange_ptr& x) {
  auto q = text::form_fields::parse(x->req().query).value_or(text::form_fields{});
  std::string status;
  if (q.find("sent")) status = "<p class=\"card\">Sent.</p>";
  if (q.find("consented")) status = notice("You consented to send mail; send it again.");
  return page(x, "Send mail",
              status + "<form method=\"post\" action=\"/send-mail\"><p><input type=\"text\" name=\"subject\" value=\"Test\"></p>"
                       "<p><input type=\"text\" name=\"body\" value=\"Test message\"></p><button>Send to myself</button></form>"
                       "<p>Sending needs <code>Mail.Send</code>; this page handles that consent itself.</p>");
}

constexpr std::string_view live_script = R"(
<ul id="todos"></ul>
<form id="add"><input type="text" id="title" placeholder="Something to do"> <button>Add</button></form>
<p id="status"></p>
<script>
const list = document.getElementById('todos'), status = document.getElementById('status'), title = document.getElementById('title');
const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/live/todos/socket');
let pending = null;
socket.onopen = () => {
  status.textContent = 'Connected.';
  const resumed = sessionStorage.getItem('live-todos-pending');
  if (resumed) { sessionStorage.removeItem('live-todos-pending'); pending = resumed; socket.send(JSON.stringify({type: 'add', title: resumed})); }
};
socket.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.type === 'todos') {
    list.innerHTML = '';
    for (const t of m.items) { const li = document.createElement('li'); li.textContent = t.title; list.appendChild(li); }
    pending = null;
    status.textContent = 'Up to date.';
  } else if (m.type === 'navigate') {
    if (pending) sessionStorage.setItem('live-todos-pending', pending);
    status.textContent = 'Asking for your consent…';
    location.href = m.url;
  } else if (m.type === 'error') {
    status.textContent = m.message;
  }
};
socket.onclose = () => { if (!status.textContent.startsWith('Asking')) status.textContent = 'Disconnected.'; };
document.getElementById('add').onsubmit = (e) => {
  e.preventDefault();
  pending = title.value || 'Something to do';
  socket.send(JSON.stringify({type: 'add', title: pending}));
  title.value = '';
};
</script>
<p>Todos over a WebSocket. Adding one needs <code>Todo.ReadWrite</code>; if you have not consented yet, the server tells this page where to go, and after consenting you come back here and the todo is added.</p>
)";

// Reading needs only the sign-in's access_as_user (MyAPI); adding needs Todo.ReadWrite (TodoList).
task<void> live_todos(actors::downstream_api& apis, actors::live_connection_ptr c) {
  auto todos = or_throw(co_await apis.get_for_user<std::vector<todo>>(c->handshake, "MyAPI", [](downstream_call_options& o) { at(o, "api/todos"); }));
  c->send(json::serialize(json::object{{"type", "todos"}, {"items", json::to_value(todos)}}));
}

task<void> live_add(actors::downstream_api& apis, actors::live_connection_ptr c, std::string message) {
  auto command = json::parse(message);
  const auto* title = command ? command->find("title") : nullptr;
  todo_change draft;
  draft.title = title && title->if_string() && !title->if_string()->empty() ? *title->if_string() : "Something to do";
  or_throw(co_await apis.post_for_user<todo_change>(c->handshake, "TodoList", draft, [](downstream_call_options& o) { at(o, "api/todos"); }));
  co_await live_todos(apis, c);
}

// The user's claims, and for each configured API which scopes the cached tokens carry — never the tokens.
http::response my_claims(actors::host& h, const http::exchange_ptr& x) {
  std::string claims;
  for (const auto& [type, value] : x->user->claims) claims += "<tr><td><code>" + html(type) + "</code></td><td>" + html(value) + "</td></tr>";
  std::string tokens;
  std::vector<std::string> seen;
  for (const auto& api : h.settings().downstream_apis) {
    if (api.scopes.empty() || api.request_app_token) continue;
    auto resource = identity::resource_of_scope(api.scopes.front());
    if (std::find(seen.begin(), seen.end(), resource) != seen.end()) continue;
    seen.push_back(resource);
    auto bytes = h.services().memory_cache().get(cache::keys::user_access_tokens(x->user->home_account_id, resource));
    auto records = bytes ? cache::access_token_records::decode(*bytes) : std::nullopt;
    if (!records || records->all().empty()) {
      tokens += "<tr><td>" + html(resource) + "</td><td colspan=\"2\">none in memory</td></tr>";
      continue;
    }
    for (const auto& t : records->all()) {
      auto minutes = std::chrono::duration_cast<std::chrono::minutes>(t.expires_on - std::chrono::system_clock::now()).count();
      tokens +=
          "<tr><td>" + html(resource) + "</td><td>" + html(text::join(t.scopes, " ")) + "</td><td>" + std::to_string(minutes) + " min</td></tr>";
    }
  }
  return page(x, "My claims",
              "<h2>Claims of your sign-in</h2><table><tr><th>Type</th><th>Value</th></tr>" + claims +
                  "</table><h2>Cached tokens</h2><table><tr><th>API</th><th>Scopes</th><th>Expires in</th></tr>" + tokens +
                  "</table><p>Tokens themselves never leave the server.</p>");
}

http::response home(const http::exchange_ptr& x) {
  if (!x->user)
    return page(x, "Welcome",
                "<p>This sample signs you in with OpenID Connect and calls APIs on your behalf: a profile API, a todo API, Microsoft "
                "Graph's mail, Azure Storage.</p><p><a href=\"/MicrosoftIdentity/Account/SignIn\">Sign in</a> — in development, as "
                "<code>ada@contoso.onmicrosoft.com</code> / <code>ada-dev-password</code>.</p>");
  return page(x, "Welcome, " + std::string(x->user->display_name()),
              "<p>Try the pages above: <a href=\"/emails\">Emails</a> and <a href=\"/todos\">Todos</a> ask for more access the first "
              "time (incremental consent); <a href=\"/parallel\">Parallel</a> calls two APIs at once; <a href=\"/overview\">Overview</a> "
              "calls a web API that calls two more on your behalf; <a href=\"/me\">My claims</a> shows what onbehalf knows about you.</p>");
}

} // namespace

void add_pages(actors::host& h, const std::string& blob_endpoint) {
  auto& apis = h.downstream_apis();
  auto& r = h.routes();
  r.get("/", [](const http::exchange_ptr& x) { x->respond(home(x)); }).anonymous = true;
  add_stylesheet(r);

  http::route_group profile_pages(r);
  profile_pages.authorize_for_scopes({.scope_key_section = "DownstreamApis:MyAPI:Scopes"});
  profile_pages.get("/profile", [&apis](http::exchange_ptr x) { return show_profile(apis, std::move(x)); });
  profile_pages.get("/dashboard", [&apis](http::exchange_ptr x) { return show_dashboard(apis, std::move(x)); });
  profile_pages.get("/me", [&h](const http::exchange_ptr& x) { x->respond(my_claims(h, x)); });
  profile_pages.get("/parallel", [&apis](http::exchange_ptr x) { return show_parallel(apis, std::move(x)); })
      .authorize_for_scopes({.scope_key_section = "DownstreamApis:GraphAPI:Scopes"});
  profile_pages.get("/emails", [&apis](http::exchange_ptr x) { return show_emails(apis, std::move(x)); })
      .authorize_for_scopes({.scope_key_section = "DownstreamApis:GraphAPI:Scopes"});

  http::route_group todo_pages(r);
  todo_pages.authorize_for_scopes({.scope_key_section = "DownstreamApis:TodoList:Scopes", .return_path_after_post = "/todos"});
  todo_pages.get("/todos", [&apis](http::exchange_ptr x) { return show_todos(apis, std::move(x)); });
  todo_pages.post("/todos", [&apis](http::exchange_ptr x) { return create_todo(apis, std::move(x)); });
  todo_pages.post("/todos/{id}/done", [&apis](http::exchange_ptr x) { return finish_todo(apis, std::move(x)); });
  todo_pages.post("/todos/{id}/rename", [&apis](http::exchange_ptr x) { return rename_todo(apis, std::move(x)); });
  todo_pages.post("/todos/{id}/delete", [&apis](http::exchange_ptr x) { return delete_todo(apis, std::move(x)); });
  todo_pages.get("/live/todos", [](const http::exchange_ptr& x) { x->respond(page(x, "Live todos", std::string(live_script))); });
  todo_pages.get("/live/todos/socket",
                 h.live(
                     "/live/todos", [&apis](actors::live_connection_ptr c, std::string m) { return live_add(apis, std::move(c), std::move(m)); },
                     [&apis](actors::live_connection_ptr c, std::string) { return live_todos(apis, std::move(c)); }));

  r.get("/overview", [&apis](http::exchange_ptr x) {
     return show_overview(apis, std::move(x));
   }).authorize_for_scopes({.scope_key_section = "DownstreamApis:Overview:Scopes"});
  r.get("/inbox", [&apis](http::exchange_ptr x) {
     return show_inbox(apis, std::move(x));
   }).authorize_for_scopes({.scope_key_section = "DownstreamApis:Overview:Scopes"});
  r.get("/blobs", [&h, blob_endpoint](http::exchange_ptr x) {
     return show_blobs(h, blob_endpoint, std::move(x));
   }).authorize_for_scopes({.scopes = {"https://storage.azure.com/user_impersonation"}});
  r.get("/send-mail", [](const http::exchange_ptr& x) { x->respond(mail_form(x)); });
  r.post("/send-mail", [&h](http::exchange_ptr x) { return send_mail(h, std::move(x)); });
}

} // namespace onbehalf::sample
