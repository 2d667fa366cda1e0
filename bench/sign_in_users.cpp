// Signs people in for the end-to-end benchmark (bench/end-to-end), through the development
// authority's real pages, as a browser would.
//
//   bench_sign_in_users cookies --app URL --path /parallel --users N --password P [--first 1] [--threads 4]
//       signs in N users from user{FIRST}@contoso.onmicrosoft.com on (user001, user002, …) by
//       opening PATH (consenting where asked) and prints each one's Cookie header on a line of its own
//   bench_sign_in_users token --authority URL --client-id ID --secret S --redirect-uri URI --scope SCOPE
//                             --user NAME --password P [--count N]
//       signs NAME in as the app would (authorization code with PKCE) and prints the access token
//       for SCOPE: what the benchmark's direct and reverse-proxy runs send to the API. With a
//       count, N distinct tokens, one per line: the rest from the (rotating) refresh token, for
//       runs where every request brings a token the server has not seen
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/devauthority/scripted_browser.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/identity/token_request.hpp"
#include "onbehalf/identity/token_response.hpp"

#include <atomic>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace onbehalf;

namespace {

using arguments = std::map<std::string, std::string>;

std::string required(const arguments& args, const std::string& name) {
  auto it = args.find(name);
  if (it == args.end() || it->second.empty()) throw std::invalid_argument("missing --" + name);
  return it->second;
}

std::string optional_argument(const arguments& args, const std::string& name, std::string fallback) {
  auto it = args.find(name);
  return it == args.end() ? fallback : it->second;
}

std::string user_name(unsigned n) {
  char name[64];
  std::snprintf(name, sizeof name, "user%03u@contoso.onmicrosoft.com", n);
  return name;
}

int sign_in_users(const arguments& args) {
  auto app = required(args, "app");
  auto path = optional_argument(args, "path", "/profile");
  auto password = required(args, "password");
  auto users = static_cast<unsigned>(std::stoul(required(args, "users")));
  auto first = static_cast<unsigned>(std::stoul(optional_argument(args, "first", "1")));
  auto threads = static_cast<unsigned>(std::stoul(optional_argument(args, "threads", "4")));

  std::vector<std::string> cookie_lines(users);
  std::atomic<unsigned> next{0};
  std::mutex report;
  std::string first_error;
  auto work = [&] {
    auto web = http::client::create();
    if (!web) {
      std::lock_guard lock(report);
      first_error = web.error();
      return;
    }
    for (unsigned i; (i = next++) < users;) {
      devauthority::scripted_browser browser(**web, app);
      devauthority::person who{user_name(first + i), password, {}, {}, "123456"};
      auto visit = devauthority::browse(browser, "GET", app + path, who);
      std::lock_guard lock(report);
      if (!visit || visit->last.status != 200 || visit->last_url != app + path) {
        if (first_error.empty())
          first_error =
              who.user + " could not open " + path + ": " +
              (visit ? std::to_string(visit->last.status) + " at " + visit->last_url + " " + visit->last.body.substr(0, 200) : visit.error());
        return;
      }
      cookie_lines[i] = browser.cookie_header();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (!first_error.empty()) {
    std::cerr << "sign-in failed: " << first_error << '\n';
    return 1;
  }
  for (const auto& line : cookie_lines) std::cout << line << '\n';
  return 0;
}

int access_token(const arguments& args) {
  auto authority = required(args, "authority");
  auto redirect_uri = required(args, "redirect-uri");
  auto scope = required(args, "scope");
  identity::client_authentication client{identity::client_authentication::method::client_secret_post, required(args, "client-id"),
                                         secret(required(args, "secret")), nullptr};
  auto pkce = identity::make_pkce();
  identity::authorize_request request;
  request.authorization_endpoint = authority + "/oauth2/v2.0/authorize";
  request.client_id = client.client_id;
  request.redirect_uri = redirect_uri;
  request.scopes = {scope};
  request.state = crypto::random_token(16);
  request.nonce = crypto::random_token(16);
  request.code_challenge = pkce.challenge;
  request.mode = identity::response_mode::query;

  auto web = http::client::create();
  if (!web) throw std::runtime_error(web.error());
  devauthority::scripted_browser browser(**web, authority);
  devauthority::person who{required(args, "user"), required(args, "password"), {}, {}, "123456"};
  auto visit = devauthority::browse(browser, "GET", identity::authorize_url(request), who, {}, redirect_uri);
  if (!visit) throw std::runtime_error(visit.error());
  auto query = text::form_fields::parse(visit->last_url.substr(visit->last_url.find('?') + 1));
  auto code = query ? query->find("code") : std::nullopt;
  if (!visit->last_url.starts_with(redirect_uri) || !code || query->find("state") != request.state)
    throw std::runtime_error("the authority did not return a code; the sign-in ended at " + visit->last_url);

  auto call = identity::build_token_request(authority + "/oauth2/v2.0/token", client,
                                            identity::token_grant::authorization_code(std::string(*code), redirect_uri, pkce.verifier, {scope}));
  http::header_list headers;
  for (const auto& [name, value] : call.headers) headers.set(name, value);
  auto reply = browser.request("POST", call.url, call.body, headers);
  if (!reply) throw std::runtime_error(reply.error());
  auto tokens = identity::read_token_response(reply->status, reply->body);
  if (!tokens) throw std::runtime_error("the token endpoint refused the code: " + tokens.error().message());
  std::cout << tokens->access_token.reveal() << '\n';
  auto count = std::stoul(optional_argument(args, "count", "1"));
  for (unsigned long i = 1; i < count; ++i) {
    auto refresh =
        identity::build_token_request(authority + "/oauth2/v2.0/token", client, identity::token_grant::refresh(tokens->refresh_token, {scope}));
    http::header_list refresh_headers;
    for (const auto& [name, value] : refresh.headers) refresh_headers.set(name, value);
    auto renewed = browser.request("POST", refresh.url, refresh.body, refresh_headers);
    if (!renewed) throw std::runtime_error(renewed.error());
    tokens = identity::read_token_response(renewed->status, renewed->body);
    if (!tokens) throw std::runtime_error("the token endpoint refused the refresh token: " + tokens.error().message());
    std::cout << tokens->access_token.reveal() << '\n';
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  arguments args;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag.starts_with("--")) args[flag.substr(2)] = argv[i + 1];
  }
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "cookies") return sign_in_users(args);
    if (mode == "token") return access_token(args);
    std::cerr
        << "usage: bench_sign_in_users cookies --app URL --path PATH --users N --password P [--first F] [--threads T]\n"
           "       bench_sign_in_users token --authority URL --client-id ID --secret S --redirect-uri URI --scope SCOPE --user NAME --password P\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bench_sign_in_users: " << e.what() << '\n';
    return 1;
  }
}
