// onbehalf-sample-webapi: a middle tier (MIW's AddMicrosoftIdentityWebApi with
// EnableTokenAcquisitionToCallDownstreamApi). It admits callers by their bearer token, and calls
// the sample API and Graph on behalf of the user in that token; applications with a role get a
// summary the app itself may read.
//
//   onbehalf-sample-webapi --config examples/samplewebapi.json
#include "contract.hpp"

#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/actors/graph.hpp"
#include "onbehalf/actors/host.hpp"
#include "onbehalf/config/load.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/stop_signals.hpp"

#include <iostream>
#include <string_view>

extern char** environ;

namespace {

using namespace onbehalf;
using actors::downstream_call_options;
using actors::or_throw;

void at(downstream_call_options& o, const char* path) { o.relative_path = path; }

// Three calls at once, each with a token acquired on behalf of the caller's token (cached per
// caller token: a client that repeats its token costs the authority nothing).
task<void> overview(actors::downstream_api& apis, http::exchange_ptr x) {
  actors::graph::client graph(apis);
  auto [profile, me, todos] = co_await when_all(apis.get_for_user<sample_api::profile>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/profile"); }),
                                                graph.me(x),
                                                apis.get_for_user<std::vector<sample_api::todo>>(x, "TodoList", [](downstream_call_options& o) { at(o, "api/todos"); }));
  sample_webapi::overview o;
  o.caller = std::string(x->user->display_name());
  o.profile = or_throw(std::move(profile));
  o.graph_display_name = or_throw(std::move(me)).display_name;
  for (const auto& t : or_throw(std::move(todos))) o.open_todos += !t.done;
  x->respond(http::response::json(200, json::write(o)));
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
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: onbehalf-sample-webapi --config FILE\n";
    return 2;
  }
  block_stop_signals();
  auto outcome = config::load_settings(argv[2], environ);
  for (const auto& w : outcome.warnings) std::cerr << "warning: " << w.to_string() << '\n';
  if (!outcome.settings) {
    for (const auto& e : outcome.errors) std::cerr << "error: " << e.to_string() << '\n';
    std::cerr << "onbehalf-sample-webapi did not start: fix the configuration above\n";
    return 1;
  }
  actors::host api(std::move(*outcome.settings));
  auto& apis = api.downstream_apis();
  api.routes().get("/api/overview", [&apis](http::exchange_ptr x) { return overview(apis, std::move(x)); }).require_scope({"access_as_user"});
  api.routes().get("/api/summary", [&apis](http::exchange_ptr x) { return summary(apis, std::move(x)); }).require_app_permission({"Overview.Read.All"});
  if (auto started = api.start(); !started) {
    log_error("onbehalf-sample-webapi did not start: " + started.error());
    return 1;
  }
  log_info("Stop signal received", {{"signal", wait_for_stop_signal()}});
  api.stop();
  api.wait();
  return 0;
}
