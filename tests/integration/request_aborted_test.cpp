// A client that leaves before its answer: the server notices (plain TCP, TLS with and without
// close_notify), tells the handler through exchange::request_aborted() and counts the request as
// 499. A downstream call made for it stops and closes its connection to the API,
// which — an onbehalf server too — notices its own caller leave. A client that pipelines its next
// request is still there, and both its requests are answered in order.
#include "../support/eventually.hpp"
#include "../support/self_signed.hpp"
#include "../support/temp_dir.hpp"
#include "../support/web_app_fixture.hpp"
#include "running_host.hpp"
#include "test_client.hpp"

#include "onbehalf/actors/downstream_api.hpp"
#include "onbehalf/sample_api/contract.hpp"
#include "onbehalf/sample_api/sample_api.hpp"

#include <thread>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace std::chrono_literals;

namespace {

// A route that holds its requests until released, counting those whose client left.
struct holding_route {
  std::mutex mutex;
  std::vector<http::exchange_ptr> held;
  std::atomic<int> aborted{0};

  void add_to(http::router& r) {
    r.get("/hold", [this](const http::exchange_ptr& x) {
      x->request_aborted()->on_cancel([this] { aborted.fetch_add(1); });
      std::lock_guard lock(mutex);
      held.push_back(x);
    });
  }
  std::size_t holding() {
    std::lock_guard lock(mutex);
    return held.size();
  }
  void release() {
    std::vector<http::exchange_ptr> going;
    {
      std::lock_guard lock(mutex);
      going.swap(held);
    }
    for (auto& x : going) x->respond(http::response::text(200, "released"));
  }
};

enum class leaving { plain_close, tls_close_notify, tls_abrupt };

struct held_request_host {
  temp_dir dir;
  pem_files pem = write_self_signed_certificate(dir.path("."));
  holding_route route;
  bool tls;
  running_host server;

  explicit held_request_host(bool over_tls) : tls(over_tls), server([this](http::router& r) { route.add_to(r); }, settings()) {}
  ~held_request_host() { route.release(); }

  config::app_settings settings() const {
    auto s = test_settings();
    if (tls) {
      s.host.tls.certificate_path = pem.certificate_path;
      s.host.tls.key_path = pem.key_path;
    }
    return s;
  }
  std::string metrics() const {
    auto reply = http_get(server.port(), "/metrics", tls);
    REQUIRE(reply);
    return reply->body;
  }
};

const std::string hold_request = "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n";

} // namespace

TEST_CASE("request aborted: a client that leaves before its answer is noticed — plain, TLS with close_notify, TLS without — and counted as 499") {
  for (auto how : {leaving::plain_close, leaving::tls_close_notify, leaving::tls_abrupt}) {
    INFO("way of leaving " << static_cast<int>(how));
    held_request_host h(how != leaving::plain_close);
    std::optional<raw_connection> client(std::in_place, h.server.port(), h.tls);
    REQUIRE(client->connected());
    client->send(hold_request);
    REQUIRE(eventually([&] { return h.route.holding() == 1; }));
    CHECK(h.route.aborted == 0);
    if (how == leaving::tls_abrupt) {
      client.reset(); // the socket closes without a close_notify
    } else {
      client->close();
    }
    CHECK(eventually([&] { return h.route.aborted == 1; }));
    h.route.release(); // the answer goes nowhere
    CHECK(eventually([&] { return h.metrics().find("route=\"/hold\",status=\"499\"} 1") != std::string::npos; }));
  }
}

TEST_CASE("request aborted: a client that only half-closes after its request counts as gone, as with nginx, yet still gets the answer") {
  held_request_host h(false);
  raw_connection client(h.server.port());
  REQUIRE(client.connected());
  client.send(hold_request);
  REQUIRE(eventually([&] { return h.route.holding() == 1; }));
  client.finish_sending();
  CHECK(eventually([&] { return h.route.aborted == 1; }));
  h.route.release();
  auto reply = client.read_response();
  REQUIRE(reply);
  CHECK(reply->body == "released");
  CHECK(client.closed_by_server(2s));
}

TEST_CASE("request aborted: a client that sends its next request while waiting is still there: both are answered, in order") {
  for (bool tls : {false, true}) {
    INFO((tls ? "TLS" : "plain"));
    held_request_host h(tls);
    raw_connection client(h.server.port(), tls);
    REQUIRE(client.connected());
    client.send(hold_request);
    REQUIRE(eventually([&] { return h.route.holding() == 1; }));
    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(400ms); // the server looks every 200 ms: it sees the bytes while the first request is held
    h.route.release();
    auto first = client.read_response();
    auto second = client.read_response();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->body == "released");
    CHECK(second->status == 200);
    CHECK(h.route.aborted == 0);
  }
}

TEST_CASE("request aborted: a downstream call made for a request whose client left stops, and the API sees its caller leave too") {
  std::unique_ptr<sample_api::server> api;
  // How each call of the page's downstream call ended: nullopt for success.
  std::mutex mutex;
  std::vector<std::optional<http::client_error>> ended;
  auto add_api = [&](config::app_settings& s) {
    sample_api::settings a;
    a.port = 0;
    a.authority = s.azure_ad.authority;
    a.todo = {"todo-api-app-id", dev::todo_api};
    api = std::make_unique<sample_api::server>(a);
    REQUIRE(api->start());
    config::downstream_api_options todo;
    todo.name = "TodoList";
    todo.base_url = api->base_url();
    todo.scopes = {web::todo_scope};
    todo.relative_path = "api/todos";
    s.downstream_apis = {todo};
  };
  web::app_fixture app(add_api, [&](actors::host& h) {
    h.routes().get("/todos", [&h, &mutex, &ended](http::exchange_ptr x) -> task<void> {
      auto todos = co_await h.downstream_apis().get_for_user<std::vector<sample_api::todo>>(x, "TodoList");
      std::optional<http::client_error> cause;
      if (!todos) {
        if (auto* u = todos.error().as<actors::downstream_unreachable>()) cause = u->cause;
      }
      {
        std::lock_guard lock(mutex);
        ended.push_back(cause);
      }
      x->respond(http::response::text(todos ? 200 : 503, "todos"));
    });
  });
  browser b(*app.web, app.origin);
  app.sign_in(b, "/todos");
  auto calls_so_far = api->stats().requests;

  api->set_faults({sample_api::faults::mode::never_answer, 0ms});
  {
    raw_connection client(app.port);
    REQUIRE(client.connected());
    client.send("GET /todos HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + b.cookie_header() + "\r\n\r\n");
    REQUIRE(eventually([&] { return api->stats().requests == calls_so_far + 1; }));
  } // the user closes the tab

  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return ended.size() == 2; // the sign-in's visit, and the abandoned one
  }));
  CHECK(ended[0] == std::nullopt);
  CHECK(ended[1] == http::client_error::cancelled);
  CHECK(eventually([&] { return api->stats().abandoned == 1; })); // the web app closed its connection to the API
  auto metrics = http_get(app.port, "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("onbehalf_downstream_calls_total{api=\"TodoList\",outcome=\"cancelled\"} 1") != std::string::npos);
  api->set_faults({});
}
