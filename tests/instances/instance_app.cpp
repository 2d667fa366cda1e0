// One instance of an onbehalf web app, for tests that run several of them against one Redis:
// what `onbehalf serve` builds from a configuration file, plus two routes that show what a
// signed-in user's request got without ever showing a token.
//
//   onbehalf-test-instance --config FILE [--port-file FILE]
//
// GET /token   acquires the signed-in user's token for the scopes at TestInstance:Scopes and
//              answers `200 ok <first 12 hex digits of its SHA-256>`, with X-Token-Expires-On
//              (milliseconds since the epoch) so a test can time the next refresh; a user who
//              must sign in again is sent to the authority, as any page of the app would.
// GET /api/token  a web API route (Authorization: Bearer, a user's token with the scope
//              access_as_user): acquires a token for TestInstance:Scopes on behalf of the caller's
//              token and answers as GET /token does.
// GET /whoami  the signed-in user's home account id.
// GET /live/socket  a live page (WebSocket) of /live: "open" once connected, then "echo " and
//              each message, while the user's session lives.
//
// Settings layer as for `onbehalf serve` (FILE, then environment variables such as
// Onbehalf__Port=0). Once listening it prints "listening on http://ADDRESS:PORT" and, with
// --port-file, writes the port there (written whole, then renamed, so a reader never sees half).
// SIGTERM or SIGINT stops it gracefully.
#include "onbehalf/actors/host.hpp"
#include "onbehalf/actors/token_service.hpp"
#include "onbehalf/actors/web_authentication.hpp"
#include "onbehalf/config/load.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/stop_signals.hpp"
#include "onbehalf/http/www_authenticate.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>

extern char** environ;

namespace {

using namespace onbehalf;

constexpr std::string_view scopes_key = "TestInstance:Scopes";

// Enough of the token's hash to tell tokens apart in a test's output; the token itself never leaves.
std::string fingerprint(std::string_view token) {
  static constexpr char digits[] = "0123456789abcdef";
  auto hash = crypto::sha256(token);
  std::string out;
  for (std::size_t i = 0; i < 6; ++i) {
    auto byte = static_cast<unsigned char>(hash[i]);
    out += digits[byte >> 4];
    out += digits[byte & 0xf];
  }
  return out;
}

std::string milliseconds_since_epoch(std::chrono::system_clock::time_point t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// "200 ok <fingerprint>" with the token's expiry; nullopt when there is no token to show.
std::optional<http::response> token_answer(const actors::token_service_outcome& outcome) {
  if (!outcome) return std::nullopt;
  auto answer = http::response::text(200, "ok " + fingerprint(outcome->access_token.reveal()));
  answer.headers.set("X-Token-Expires-On", milliseconds_since_epoch(outcome->expires_on));
  return answer;
}

http::response no_token(const actors::token_service_outcome& outcome) { return http::response::text(503, "no token: " + outcome.error().message()); }

void add_routes(actors::host& app, std::vector<std::string> scopes) {
  auto& r = app.routes();
  r.get("/token", [&app, scopes](const http::exchange_ptr& x) {
    app.tokens().acquire_token_for_user_in_place(x->user->home_account_id, scopes, {}, [&app, x](actors::token_service_outcome outcome) {
      if (auto answer = token_answer(outcome)) return void(x->respond(std::move(*answer)));
      if (outcome.error().kind == identity::failure_kind::interaction_required)
        return app.authentication().challenge(x, actors::sign_in_request::to("/token"));
      x->respond(no_token(outcome));
    });
  });
  r.get("/api/token", [&app, scopes](const http::exchange_ptr& x) {
     auto caller = secret(std::string(http::bearer_token_of(x->req()).value_or("")));
     app.tokens().acquire_token_on_behalf_of(
         caller, scopes, {},
         [x](actors::token_service_outcome outcome) {
           auto answer = token_answer(outcome);
           x->respond(answer ? std::move(*answer) : no_token(outcome));
         },
         x->user->access_token_digest);
   }).require_scope({"access_as_user"});
  r.get("/whoami", [](const http::exchange_ptr& x) { x->respond(http::response::text(200, x->user->home_account_id)); });
  r.get("/live/socket", app.live(
                            "/live",
                            [](actors::live_connection_ptr c, std::string message) -> task<void> {
                              c->send("echo " + message);
                              co_return;
                            },
                            [](actors::live_connection_ptr c, std::string) -> task<void> {
                              c->send("open");
                              co_return;
                            }));
}

bool write_port_file(const std::string& path, std::uint16_t port) {
  auto partial = path + ".partial";
  {
    std::ofstream out(partial);
    out << port << '\n';
    if (!out) return false;
  }
  return std::rename(partial.c_str(), path.c_str()) == 0;
}

int usage() {
  std::cerr << "usage: onbehalf-test-instance --config FILE [--port-file FILE]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::string config_path, port_file;
  for (int i = 1; i < argc; i += 2) {
    std::string_view option = argv[i];
    if (i + 1 == argc) return usage();
    if (option == "--config")
      config_path = argv[i + 1];
    else if (option == "--port-file")
      port_file = argv[i + 1];
    else
      return usage();
  }
  if (config_path.empty()) return usage();
  // Before any thread starts, so every thread inherits the mask and this one alone receives them.
  block_stop_signals();

  auto outcome = config::load_settings(config_path, environ);
  for (const auto& w : outcome.warnings) std::cerr << "warning: " << w.to_string() << '\n';
  for (const auto& e : outcome.errors) std::cerr << "error: " << e.to_string() << '\n';
  if (!outcome.settings) return 1;
  auto scopes = outcome.settings->values_at(scopes_key);
  if (scopes.empty()) {
    std::cerr << "error: " << scopes_key << ": is required (the scopes GET /token acquires a token for)\n";
    return 1;
  }

  actors::host app(std::move(*outcome.settings));
  add_routes(app, std::move(scopes));
  auto started = app.start();
  if (!started) {
    std::cerr << "error: the instance did not start: " << started.error() << '\n';
    return 1;
  }
  std::cout << "listening on http://" << app.settings().host.listen_address << ':' << *started << std::endl;
  if (!port_file.empty() && !write_port_file(port_file, *started)) {
    std::cerr << "error: cannot write the port to " << port_file << '\n';
    app.stop();
    app.wait();
    return 1;
  }
  log_info("Stop signal received", {{"signal", wait_for_stop_signal()}});
  app.stop();
  app.wait();
  return 0;
}
