#include "onbehalf/http/router.hpp"

#include <catch2/catch.hpp>

#include <optional>

using namespace onbehalf::http;

namespace {

struct answered {
  std::optional<response> reply;
  std::size_t route_id = 0;
};

// An exchange whose answer lands in `out` instead of a socket.
exchange_ptr make_exchange(std::string method, std::string path, answered& out) {
  request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  r.correlation_id = "test";
  return std::make_shared<exchange>(std::move(r), [&out](response resp, std::size_t id) {
    out.reply = std::move(resp);
    out.route_id = id;
  });
}

handler reply_with(std::string body) {
  return [body](const exchange_ptr& x) { x->respond(response::text(200, body)); };
}

} // namespace

TEST_CASE("a literal route matches its exact path only") {
  router r;
  r.get("/healthz", reply_with("ok"));
  CHECK(r.find("GET", "/healthz").result == router::match::outcome::found);
  CHECK(r.find("GET", "/healthz/extra").result == router::match::outcome::not_found);
  CHECK(r.find("GET", "/health").result == router::match::outcome::not_found);
}

TEST_CASE("path parameters are captured and percent-decoded") {
  router r;
  r.get("/todos/{id}/items/{item}", reply_with("x"));
  auto m = r.find("GET", "/todos/42/items/a%20b");
  REQUIRE(m.result == router::match::outcome::found);
  CHECK(m.params == std::vector<std::pair<std::string, std::string>>{{"id", "42"}, {"item", "a b"}});
}

TEST_CASE("an empty path parameter does not match") {
  router r;
  r.get("/todos/{id}", reply_with("x"));
  CHECK(r.find("GET", "/todos/").result == router::match::outcome::not_found);
}

TEST_CASE("a malformed percent escape does not match") {
  router r;
  r.get("/todos/{id}", reply_with("x"));
  CHECK(r.find("GET", "/todos/%zz").result == router::match::outcome::not_found);
  CHECK(r.find("GET", "/todos/%4").result == router::match::outcome::not_found);
}

TEST_CASE("a rest parameter takes the remainder of the path") {
  router r;
  r.get("/static/{*file}", reply_with("x"));
  auto m = r.find("GET", "/static/css/site.css");
  REQUIRE(m.result == router::match::outcome::found);
  CHECK(m.params[0].second == "css/site.css");
}

TEST_CASE("the first matching route wins, so literal routes can precede parameters") {
  router r;
  r.get("/todos/new", reply_with("new"));
  r.get("/todos/{id}", reply_with("id"));
  CHECK(r.find("GET", "/todos/new").route_id == 0);
  CHECK(r.find("GET", "/todos/7").route_id == 1);
}

TEST_CASE("HEAD requests match GET routes") {
  router r;
  r.get("/healthz", reply_with("ok"));
  CHECK(r.find("HEAD", "/healthz").result == router::match::outcome::found);
}

TEST_CASE("a known path with another method is 405 with an Allow header") {
  router r;
  r.get("/todos", reply_with("list"));
  r.post("/todos", reply_with("created"));
  answered out;
  route_and_handle(r, make_exchange("DELETE", "/todos", out));
  REQUIRE(out.reply);
  CHECK(out.reply->status == 405);
  CHECK(out.reply->headers.find("Allow") == "GET, POST");
}

TEST_CASE("an unknown path is 404 with the unmatched route id") {
  router r;
  r.get("/healthz", reply_with("ok"));
  answered out;
  route_and_handle(r, make_exchange("GET", "/nowhere", out));
  REQUIRE(out.reply);
  CHECK(out.reply->status == 404);
  CHECK(out.route_id == r.unmatched_id());
}

TEST_CASE("the matched handler answers and its route id travels with the answer") {
  router r;
  r.get("/a", reply_with("a"));
  r.get("/b/{x}", [](const exchange_ptr& x) { x->respond(response::text(200, std::string(x->param("x")))); });
  answered out;
  route_and_handle(r, make_exchange("GET", "/b/hello", out));
  REQUIRE(out.reply);
  CHECK(out.reply->body == "hello");
  CHECK(out.route_id == 1);
}

TEST_CASE("a handler that throws gets the client a 500, not a crash") {
  router r;
  r.get("/boom", [](const exchange_ptr&) { throw std::runtime_error("bug in handler"); });
  answered out;
  route_and_handle(r, make_exchange("GET", "/boom", out));
  REQUIRE(out.reply);
  CHECK(out.reply->status == 500);
}

TEST_CASE("an exchange dropped without an answer still answers 500") {
  answered out;
  { auto x = make_exchange("GET", "/", out); }
  REQUIRE(out.reply);
  CHECK(out.reply->status == 500);
}

TEST_CASE("only the first answer to an exchange counts") {
  answered out;
  auto x = make_exchange("GET", "/", out);
  CHECK(x->respond(response::text(200, "first")));
  CHECK_FALSE(x->respond(response::text(500, "second")));
  CHECK(out.reply->body == "first");
}

TEST_CASE("answers carry the request's correlation id") {
  answered out;
  make_exchange("GET", "/", out)->respond(response::text(200, "x"));
  CHECK(out.reply->headers.find("X-Correlation-ID") == "test");
}

TEST_CASE("malformed route patterns are programming errors") {
  router r;
  CHECK_THROWS_AS(r.get("healthz", reply_with("x")), std::invalid_argument);
  CHECK_THROWS_AS(r.get("/a/{}", reply_with("x")), std::invalid_argument);
  CHECK_THROWS_AS(r.get("/a/{*rest}/b", reply_with("x")), std::invalid_argument);
  CHECK_THROWS_AS(r.get("/a/x{id}", reply_with("x")), std::invalid_argument);
}

TEST_CASE("a cookie is found by exact name among several Cookie headers") {
  header_list h;
  h.add("Cookie", "a=1; session=abc");
  h.add("cookie", "other=2;  flow=xyz");
  CHECK(find_cookie(h, "session") == "abc");
  CHECK(find_cookie(h, "flow") == "xyz");
  CHECK_FALSE(find_cookie(h, "Session"));
  CHECK_FALSE(find_cookie(h, "missing"));
}

namespace {
// An operation that answers later, when the test says so.
struct later {
  std::function<void(std::string)> answer;
  auto ask() {
    return onbehalf::when_called_back<std::string>([this](std::function<void(std::string)> done) { answer = std::move(done); });
  }
};
} // namespace

TEST_CASE("a coroutine handler answers after what it awaits completes") {
  router r;
  later pending;
  r.get("/profile", [&pending](exchange_ptr x) -> onbehalf::task<void> {
    auto name = co_await pending.ask();
    x->respond(response::text(200, "profile of " + name));
  });
  answered out;
  route_and_handle(r, make_exchange("GET", "/profile", out));
  CHECK_FALSE(out.reply); // suspended: the exchange lives in the coroutine, not in the caller
  pending.answer("Ada");
  REQUIRE(out.reply);
  CHECK(out.reply->body == "profile of Ada");
}

TEST_CASE("an exception escaping a coroutine handler after a suspension is a 500, not a crash") {
  router r;
  later pending;
  r.get("/broken", [&pending](exchange_ptr) -> onbehalf::task<void> {
    co_await pending.ask();
    throw std::runtime_error("the handler broke");
  });
  answered out;
  route_and_handle(r, make_exchange("GET", "/broken", out));
  pending.answer("");
  REQUIRE(out.reply);
  CHECK(out.reply->status == 500);
}

TEST_CASE("the router's exception hook sees a handler's exception first, and may answer it") {
  router r;
  r.get("/sync", [](const exchange_ptr&) { throw std::logic_error("sync"); });
  r.get("/async", [](exchange_ptr) -> onbehalf::task<void> {
    throw std::logic_error("async");
    co_return;
  });
  std::vector<std::string> seen;
  r.on_exception = [&seen](const route& matched, const exchange_ptr& x, std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::logic_error& ex) {
      seen.push_back(matched.pattern + ": " + ex.what());
    }
    x->respond(response::text(418, "handled"));
    return true;
  };
  answered sync_out, async_out;
  route_and_handle(r, make_exchange("GET", "/sync", sync_out));
  route_and_handle(r, make_exchange("GET", "/async", async_out));
  CHECK(seen == std::vector<std::string>{"/sync: sync", "/async: async"});
  CHECK(sync_out.reply->status == 418);
  CHECK(async_out.reply->status == 418);
}
