// onbehalf-sample-webapi: a middle tier (MIW's AddMicrosoftIdentityWebApi with
// EnableTokenAcquisitionToCallDownstreamApi). It admits callers by their bearer token, and calls
// the sample API and Graph on behalf of the user in that token; applications with a role get a
// summary the app itself may read. Its inbox needs a permission users consent to through the web
// app (combined consent): a challenge that travels back through the web app to the user.
//
//   onbehalf-sample-webapi --config examples/samplewebapi.json
#include "contract.hpp"
#include "program.hpp"

#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/actors/graph.hpp"

namespace {

using namespace onbehalf;
using actors::downstream_call_options;
using actors::or_throw;

void at(downstream_call_options& o, const char* path) { o.relative_path = path; }

// Three calls at once, each with a token acquired on behalf of the caller's token (cached per
// caller token: a client that repeats its token costs the authority nothing).
task<void> overview(actors::downstream_api& apis, http::exchange_ptr x) {
  actors::graph::client graph(apis);
  auto [profile, me, todos] =
      co_await when_all(apis.get_for_user<sample_api::profile>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/profile"); }), graph.me(x),
                        apis.get_for_user<std::vector<sample_api::todo>>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/todos"); }));
  sample_webapi::overview o;
  o.caller = std::string(x->user->display_name());
  o.profile = or_throw(std::move(profile));
  o.graph_display_name = or_throw(std::move(me)).display_name;
  for (const auto& t : or_throw(std::move(todos))) o.open_todos += !t.done;
  x->respond(http::response::json(200, json::write(o)));
}

// One call on the caller's behalf, answered as the sample API answered it.
task<void> profile(actors::downstream_api& apis, http::exchange_ptr x) {
  auto p = or_throw(co_await apis.get_for_user<sample_api::profile>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/profile"); }));
  x->respond(http::response::json(200, json::write(p)));
}

// Graph's messages with a permission of their own ("Mail"): until the user consented to it for
// the middle tier, the grant is refused and the caller gets a 403 naming Mail.Read.
task<void> inbox(actors::downstream_api& apis, http::exchange_ptr x) {
  actors::graph::client mail(apis, "Mail");
  actors::graph::messages_query latest;
  latest.top = 5;
  sample_webapi::inbox in;
  in.caller = std::string(x->user->display_name());
  for (auto& m : or_throw(co_await mail.me_messages(x, latest))) in.subjects.push_back(m.subject.value_or("(no subject)"));
  x->respond(http::response::json(200, json::write(in)));
}

task<void> summary(actors::downstream_api& apis, http::exchange_ptr x) {
  auto todos = or_throw(co_await apis.get_for_app<std::vector<sample_api::todo>>("TodoApp", [](downstream_call_options& o) { at(o, "api/todos"); }));
  sample_webapi::summary s;
  s.caller = std::string(x->user->claim("azp").value_or(x->user->claim("appid").value_or("")));
  s.todos = todos.size();
  x->respond(http::response::json(200, json::write(s)));
}

} // namespace

int main(int argc, char** argv) {
  int exit_status = 0;
  auto api = examples::host_of(argc, argv, "onbehalf-sample-webapi", exit_status);
  if (!api) return exit_status;
  auto& apis = api->downstream_apis();
  api->routes().get("/api/overview", [&apis](http::exchange_ptr x) { return overview(apis, std::move(x)); }).require_scope({"access_as_user"});
  api->routes().get("/api/inbox", [&apis](http::exchange_ptr x) { return inbox(apis, std::move(x)); }).require_scope({"access_as_user"});
  api->routes().get("/api/profile", [&apis](http::exchange_ptr x) { return profile(apis, std::move(x)); }).require_scope({"access_as_user"});
  api->routes()
      .get("/api/summary", [&apis](http::exchange_ptr x) { return summary(apis, std::move(x)); })
      .require_app_permission({"Overview.Read.All"});
  return api->run();
}
