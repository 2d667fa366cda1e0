// Named downstream APIs against the sample API, with tokens from the dev authority: every verb
// for a user and for the app, every option's effect on the request the API receives, and the
// API's answers as typed outcomes.
#include "../support/downstream_fixture.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::downstream;
using actors::downstream_call_options;

namespace {

using sample_api::profile;
using sample_api::todo;
using sample_api::todo_change;

std::string todo_path(std::int64_t id) { return "api/todos/" + std::to_string(id); }

} // namespace

TEST_CASE("downstream: a user's GET maps the API's JSON into a struct") {
  fixture x;
  auto ada = x.sign_in();
  auto p = run(x.apis().get_for_user<profile>(ada, "TodoList", [](downstream_call_options& o) { o.relative_path = "api/profile"; }));
  INFO((p ? std::string() : p.error().message()));
  REQUIRE(p);
  CHECK(p->display_name == "Ada Lovelace");
  CHECK(p->id == "oid-ada");
}

TEST_CASE("downstream: a user creates, reads, replaces, patches and deletes a todo") {
  fixture x;
  auto ada = x.sign_in();
  todo_change draft;
  draft.title = "Write the spec";
  auto created =
      run(x.apis().post_for_user<todo_change, todo>(ada, "TodoList", draft, [](downstream_call_options& o) { o.relative_path = "api/todos"; }));
  REQUIRE(created);
  CHECK(created->title == "Write the spec");
  auto path = todo_path(created->id);

  auto listed = run(x.apis().get_for_user<std::vector<todo>>(ada, "TodoList", [](downstream_call_options& o) { o.relative_path = "api/todos"; }));
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);

  todo_change replacement;
  replacement.title = "Write the whole spec";
  replacement.done = false;
  auto replaced =
      run(x.apis().put_for_user<todo_change, todo>(ada, "TodoList", replacement, [&](downstream_call_options& o) { o.relative_path = path; }));
  REQUIRE(replaced);
  CHECK(replaced->title == "Write the whole spec");

  todo_change finish;
  finish.done = true;
  auto patched =
      run(x.apis().patch_for_user<todo_change, todo>(ada, "TodoList", finish, [&](downstream_call_options& o) { o.relative_path = path; }));
  REQUIRE(patched);
  CHECK(patched->done);
  CHECK(patched->title == "Write the whole spec");

  auto deleted = run(x.apis().delete_for_user(ada, "TodoList", [&](downstream_call_options& o) { o.relative_path = path; }));
  CHECK(deleted);
  auto gone = run(x.apis().get_for_user<todo>(ada, "TodoList", [&](downstream_call_options& o) { o.relative_path = path; }));
  REQUIRE_FALSE(gone);
  REQUIRE(gone.error().is<actors::downstream_error>());
  CHECK(gone.error().as<actors::downstream_error>()->status == 404);
}

TEST_CASE("downstream: the app creates, reads, replaces, patches and deletes with its own token") {
  fixture x;
  todo_change draft;
  draft.title = "Nightly report";
  auto created = run(x.apis().post_for_app<todo_change, todo>("TodoApp", draft, [](downstream_call_options& o) { o.relative_path = "api/todos"; }));
  REQUIRE(created);
  auto path = todo_path(created->id);
  auto all = run(x.apis().get_for_app<std::vector<todo>>("TodoApp", [](downstream_call_options& o) { o.relative_path = "api/todos"; }));
  REQUIRE(all);
  CHECK(all->size() == 1);
  todo_change renamed;
  renamed.title = "Weekly report";
  CHECK(run(x.apis().put_for_app<todo_change, todo>("TodoApp", renamed, [&](downstream_call_options& o) { o.relative_path = path; })));
  todo_change done;
  done.done = true;
  auto patched = run(x.apis().patch_for_app<todo_change, todo>("TodoApp", done, [&](downstream_call_options& o) { o.relative_path = path; }));
  REQUIRE(patched);
  CHECK(patched->title == "Weekly report");
  CHECK(run(x.apis().delete_for_app("TodoApp", [&](downstream_call_options& o) { o.relative_path = path; })));
  CHECK(x.f.authority.token_requests("client_credentials") == 1); // one app token served every call
}

TEST_CASE("downstream: configured and per-call options all reach the API") {
  fixture x([](config::app_settings& s) {
    auto& todo = s.downstream_apis[0];
    todo.extra_header_parameters = {{"X-Tenant-Region", "eu"}};
    todo.extra_query_parameters = {{"api-version", "2.0"}};
    todo.accept_header = "application/json;odata.metadata=none";
  });
  auto ada = x.sign_in();
  auto seen = run(x.apis().call_for_user(
      ada, "TodoList",
      [](downstream_call_options& o) {
        o.relative_path = "/api/echo/items";
        o.http_method = "PATCH";
        o.extra_query_parameters["filter"] = "done eq false & more";
        o.content_type = "application/merge-patch+json";
        o.customize_request = [](http::client_request& r) { r.headers.set("X-Customized", "yes"); };
      },
      std::string(R"({"done":true})")));
  REQUIRE(seen);
  auto e = json::read_as<echo>(seen->body);
  REQUIRE(e);
  CHECK(e->method == "PATCH");
  CHECK(e->path == "/api/echo/items");
  CHECK(e->query == "api-version=2.0&filter=done%20eq%20false%20%26%20more");
  CHECK(e->headers["x-tenant-region"] == "eu");
  CHECK(e->headers["accept"] == "application/json;odata.metadata=none");
  CHECK(e->headers["content-type"] == "application/merge-patch+json");
  CHECK(e->headers["x-customized"] == "yes");
  CHECK(e->headers["authorization"] == "Bearer ****");
  CHECK(e->headers["x-correlation-id"] == "test-correlation-id");
  CHECK(e->body == R"({"done":true})");
  CHECK(e->token.oid == "oid-ada");
  CHECK(e->token.scp == std::vector<std::string>{"access_as_user", "Todo.ReadWrite"});
}

TEST_CASE("downstream: RequestAppToken sends the app's token even from a user's call") {
  fixture x([](config::app_settings& s) { s.downstream_apis[1].relative_path = "api/echo"; });
  auto ada = x.sign_in();
  auto seen = run(x.apis().get_for_user<echo>(ada, "TodoApp"));
  REQUIRE(seen);
  CHECK(seen->token.scp.empty());
  CHECK(seen->token.roles == std::vector<std::string>{"Todo.Read.All", "Todo.ReadWrite.All"});
}

TEST_CASE("downstream: ProtocolScheme names the Authorization scheme") {
  fixture x([](config::app_settings& s) { s.downstream_apis[0].protocol_scheme = "PoP"; });
  auto ada = x.sign_in();
  std::string sent;
  auto answer = run(x.apis().call_for_user(ada, "TodoList", [&sent](downstream_call_options& o) {
    o.relative_path = "api/echo";
    o.customize_request = [&sent](http::client_request& r) { sent = std::string(r.headers.find("Authorization").value_or("")); };
  }));
  CHECK(sent.starts_with("PoP eyJ"));
  REQUIRE_FALSE(answer); // the sample API accepts Bearer tokens only
  CHECK(answer.error().as<actors::downstream_error>()->status == 401);
}

TEST_CASE("downstream: AcquireTokenOptions reach the authority") {
  fixture x([](config::app_settings& s) {
    auto& o = s.downstream_apis[1].token_options;
    o.correlation_id = "11111111-2222-3333-4444-555555555555";
    o.extra_query_parameters = {{"slice", "testslice"}};
    o.force_refresh = true;
    s.downstream_apis[1].relative_path = "api/echo";
  });
  CHECK(run(x.apis().get_for_app<echo>("TodoApp")));
  CHECK(run(x.apis().get_for_app<echo>("TodoApp")));
  CHECK(x.f.authority.token_requests("client_credentials") == 2); // ForceRefresh: a grant per call
  auto last = x.f.authority.recent_token_requests().back();
  CHECK(last.client_request_id == "11111111-2222-3333-4444-555555555555");
  CHECK(last.query == "slice=testslice");
}

TEST_CASE("downstream: an API name nobody configured is a configuration error naming the key") {
  fixture x;
  auto answer = run(x.apis().get_for_app<echo>("Missing"));
  REQUIRE_FALSE(answer);
  REQUIRE(answer.error().is<actors::configuration_error>());
  CHECK(answer.error().as<actors::configuration_error>()->key == "DownstreamApis:Missing");
}

TEST_CASE("downstream: the API's own error status comes back with its body, for the handler to decide") {
  fixture x;
  x.api.set_faults({sample_api::faults::mode::server_error, 0ms});
  auto answer = run(x.apis().get_for_app<std::vector<todo>>("TodoApp", [](downstream_call_options& o) { o.relative_path = "api/todos"; }));
  REQUIRE_FALSE(answer);
  const auto* e = answer.error().as<actors::downstream_error>();
  REQUIRE(e);
  CHECK(e->status == 500);
  CHECK(e->body.find("injected fault") != std::string::npos);
  CHECK(answer.error().suggested_status() == 502);
}

TEST_CASE("downstream: the user's trace (W3C traceparent) reaches the API and the authority, each call a child of the request's span") {
  fixture x;
  auto ada = x.sign_in();
  auto trace = http::parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  REQUIRE(trace);
  trace->span_id = "b7ad6b7169203331"; // this service's span for the work
  ada.set_trace(*trace);
  auto seen = run(x.apis().get_for_user<echo>(ada, "TodoList", [](downstream_call_options& o) { o.relative_path = "api/echo"; }));
  REQUIRE(seen);
  CHECK(seen->headers["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01");
  // Graph's token is not cached yet: the refresh grant that gets it carries the trace too.
  (void)run(x.apis().call_for_user(ada, "GraphAPI", [](downstream_call_options& o) { o.relative_path = "me"; }));
  auto requests = x.f.authority.recent_token_requests();
  REQUIRE_FALSE(requests.empty());
  CHECK(requests.back().grant_type == "refresh_token");
  CHECK(requests.back().traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01");
}

TEST_CASE("downstream: a call outside any request starts a trace of its own") {
  fixture x([](config::app_settings& s) { s.downstream_apis[1].relative_path = "api/echo"; });
  auto seen = run(x.apis().get_for_app<echo>("TodoApp"));
  REQUIRE(seen);
  auto sent = http::parse_traceparent(seen->headers["traceparent"]);
  REQUIRE(sent);
  CHECK(sent->trace_id.size() == 32);
}

TEST_CASE("downstream: a tenant named by its domain is found through its discovery document, whose endpoints name it by id as Entra's do") {
  fixture x;
  actors::token_acquisition_options o;
  o.tenant = "fabrikam.onmicrosoft.com";
  std::promise<actors::token_service_outcome> answer;
  x.services->tokens().acquire_token_for_app(dev::todo_api + "/.default", o,
                                             [&](actors::token_service_outcome r) { answer.set_value(std::move(r)); });
  auto token = answer.get_future().get();
  INFO((token ? std::string() : token.error().message()));
  REQUIRE(token);
  CHECK(dev::claims_of(token->access_token.reveal()).string("tid") == dev::fabrikam_tenant_id);
  auto requests = x.f.authority.recent_token_requests();
  REQUIRE_FALSE(requests.empty());
  CHECK(requests.back().tenant == dev::fabrikam_tenant_id); // the discovered endpoint, not the domain pasted into the home one
}
