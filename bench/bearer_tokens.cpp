// What remembering validated bearer tokens saves a web API: the same requests, each with an app
// token from the development authority, sent twice over keep-alive connections. The first pass
// meets every token for the first time (an RS256 signature check each); the second meets only
// tokens it has seen (a SHA-256 and a lookup). Both passes go through the whole server: parsing,
// routing, admission, the handler, the answer.
//
//   bench_bearer_tokens [--tokens 4000] [--connections 4]
//
// Prints each pass's requests per second and the ratio. Exits non-zero if any answer is not 200.
#include "onbehalf/actors/host.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/devauthority/dev_authority.hpp"
#include "onbehalf/http/client.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

using namespace onbehalf;

namespace {

const std::string tenant_id = "7f9c1a2e-0000-4000-8000-0000000000b1";
const std::string api_uri = "api://bench-api";
const std::string api_id = "bench-api-app-id";

devauthority::directory bench_directory() {
  devauthority::directory d;
  d.port = 0;
  devauthority::tenant t;
  t.id = tenant_id;
  t.domain = "bench.onmicrosoft.com";
  devauthority::resource api;
  api.app_id_uri = api_uri;
  api.app_id = api_id;
  api.app_roles = {"Items.Read.All"};
  t.resources = {api};
  devauthority::app caller;
  caller.client_id = "bench-daemon";
  caller.secrets = {secret("bench-daemon-secret-1")};
  caller.application_permissions = {{api_uri, {"Items.Read.All"}}};
  t.apps = {caller};
  d.tenants = {t};
  return d;
}

std::string app_token(http::client& web, const std::string& token_endpoint) {
  identity::client_authentication client{identity::client_authentication::method::client_secret_post, "bench-daemon", secret("bench-daemon-secret-1"),
                                         nullptr};
  auto call = identity::build_token_request(token_endpoint, client, identity::token_grant::client_credentials({api_uri + "/.default"}));
  http::client_request r{"POST", call.url, {}, call.body, {}};
  for (const auto& [name, value] : call.headers) r.headers.set(name, value);
  std::promise<http::client_result> done;
  web.send(std::move(r), [&done](http::client_result outcome) { done.set_value(std::move(outcome)); });
  auto reply = done.get_future().get();
  if (!reply) throw std::runtime_error("the token endpoint did not answer: " + reply.error().message);
  auto tokens = identity::read_token_response(reply->status, reply->body);
  if (!tokens) throw std::runtime_error("no app token: " + tokens.error().message());
  return tokens->access_token.reveal();
}

// One keep-alive connection sending its share of the tokens, one request at a time; counts the
// answers that were not 200.
std::size_t send_share(std::uint16_t port, const std::vector<std::string>& tokens, std::size_t first, std::size_t step) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("cannot connect to the web API");
  std::size_t bad = 0;
  std::string buffer;
  char chunk[16384];
  for (std::size_t i = first; i < tokens.size(); i += step) {
    auto request = "GET /api/items HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + tokens[i] + "\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) throw std::runtime_error("send failed");
    // Answers are small and carry Content-Length: read until the head and that many bytes are in.
    for (;;) {
      auto head_end = buffer.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        auto length_at = buffer.find("Content-Length: ");
        auto length = length_at < head_end ? std::stoul(buffer.substr(length_at + 16)) : 0;
        if (buffer.size() >= head_end + 4 + length) {
          if (!buffer.starts_with("HTTP/1.1 200")) ++bad;
          buffer.erase(0, head_end + 4 + length);
          break;
        }
      }
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) throw std::runtime_error("the web API closed the connection");
      buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return bad;
}

double pass(std::uint16_t port, const std::vector<std::string>& tokens, std::size_t connections, std::size_t& bad) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::future<std::size_t>> workers;
  for (std::size_t c = 0; c < connections; ++c)
    workers.push_back(std::async(std::launch::async, send_share, port, std::cref(tokens), c, connections));
  for (auto& w : workers) bad += w.get();
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(tokens.size()) / seconds;
}

} // namespace

int main(int argc, char** argv) {
  std::size_t token_count = 4000, connections = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    if (name == "--tokens") token_count = std::stoul(argv[i + 1]);
    if (name == "--connections") connections = std::stoul(argv[i + 1]);
  }
  logger::global().set_level(log_level::error);
  devauthority::dev_authority authority(bench_directory());
  if (!authority.start()) return 1;
  config::app_settings s;
  s.azure_ad.authority = authority.authority(tenant_id);
  s.azure_ad.client_id = api_id;
  s.host.port = 0;
  s.host.io_threads = 1;
  s.host.actor_threads = 1;
  s.host.log_level = "error";
  s.host.cache.backend = config::cache_options::backend_type::memory;
  actors::host api(s);
  api.routes()
      .get("/api/items", [](const http::exchange_ptr& x) { x->respond(http::response::json(200, R"({"items":[]})")); })
      .require_app_permission({"Items.Read.All"});
  auto port = api.start();
  if (!port) {
    std::cerr << "bench: the web API did not start: " << port.error() << '\n';
    return 1;
  }
  auto web = http::client::create();
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < token_count; ++i) tokens.push_back(app_token(**web, authority.base_url() + "/" + tenant_id + "/oauth2/v2.0/token"));

  std::size_t bad = 0;
  auto first = pass(*port, tokens, connections, bad);
  auto again = pass(*port, tokens, connections, bad);
  std::printf("bearer tokens: %zu tokens over %zu connections\n", tokens.size(), connections);
  std::printf("  first sight (RS256 check each): %8.0f requests/s\n", first);
  std::printf("  remembered (SHA-256 + lookup):  %8.0f requests/s  (%.1fx)\n", again, again / first);
  api.stop();
  api.wait();
  authority.stop();
  if (bad != 0) std::fprintf(stderr, "bench: %zu answers were not 200\n", bad);
  return bad == 0 ? 0 : 1;
}
