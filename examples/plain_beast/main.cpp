// A web server written with Boost.Beast alone — no onbehalf front, no actors of its own — that
// signs users in with onbehalf's identity building blocks and calls an API on their behalf
// through the token acquirer factory: the spec's OWIN scenario, where the app owns its HTTP
// server and onbehalf acquires the tokens.
//
//   onbehalf-plain-beast-example --config examples/plain-beast.json
//
// It serves one request at a time on its own thread and may block that thread while it waits
// for a token or an API (sync_wait): the thread is the example's, never one of onbehalf's.
#include "onbehalf/actors/token_acquirer_factory.hpp"
#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/http/message.hpp"
#include "onbehalf/identity/authorize.hpp"
#include "onbehalf/identity/id_token.hpp"
#include "onbehalf/identity/sign_in_correlation.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/describe/class.hpp>

#include <iostream>
#include <map>

extern char** environ;

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using namespace onbehalf;

namespace {

struct profile {
  std::string id;
  std::string display_name;
  std::vector<std::string> scopes;
};
BOOST_DESCRIBE_STRUCT(profile, (), (id, display_name, scopes))

using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;

response page(unsigned status, const std::string& html) {
  response r{static_cast<bhttp::status>(status), 11};
  r.set(bhttp::field::content_type, "text/html; charset=utf-8");
  r.body() = "<!doctype html><title>onbehalf plain Beast example</title>" + html;
  r.prepare_payload();
  return r;
}

response redirect(const std::string& location) {
  response r{bhttp::status::found, 11};
  r.set(bhttp::field::location, location);
  r.prepare_payload();
  return r;
}

std::string cookie(const request& req, std::string_view name) {
  http::header_list h;
  for (const auto& f : req) h.add(std::string(f.name_string()), std::string(f.value()));
  return http::find_cookie(h, name).value_or("");
}

// The example's own sign-in and session bookkeeping; onbehalf keeps the tokens.
class app {
public:
  explicit app(actors::token_acquirer_factory& services) : services_(services), settings_(services.settings()) {}

  response handle(const request& req) {
    std::string target(req.target());
    auto path = target.substr(0, target.find('?'));
    auto query =
        text::form_fields::parse(target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1)).value_or(text::form_fields{});
    if (path == "/") return home(cookie(req, "sid"));
    if (path == "/signin") return sign_in();
    if (path == settings_.azure_ad.callback_path) return callback(query);
    return page(404, "<p>Nothing here.</p>");
  }

private:
  std::string redirect_uri() const {
    return "http://" + settings_.host.listen_address + ":" + std::to_string(settings_.host.port) + settings_.azure_ad.callback_path;
  }

  identity::authority_cache::snapshot_ptr authority() {
    auto got = sync_wait([](identity::authority_cache& a) -> task<result<identity::authority_cache::snapshot_ptr, std::string>> {
      co_return co_await when_called_back<result<identity::authority_cache::snapshot_ptr, std::string>>([&a](auto done) { a.get(std::move(done)); });
    }(services_.authority()));
    return got ? *got : nullptr;
  }

  response home(const std::string& session) {
    auto account = sessions_.find(session);
    if (account == sessions_.end()) return page(200, "<p>You are not signed in. <a href=\"/signin\">Sign in</a></p>");
    actors::signed_in_user user(account->second.first, account->second.second);
    auto p = sync_wait(services_.downstream_apis().get_for_user<profile>(
        user, "TodoList", [](actors::downstream_call_options& o) { o.relative_path = "api/profile"; }));
    if (!p && p.error().is<actors::challenge>()) return redirect("/signin");
    if (!p) {
      std::cerr << "the API call failed: " << p.error().message() << '\n';
      return page(p.error().suggested_status(), "<p>The profile service is unavailable. Try again later.</p>");
    }
    return page(200, "<p>Hello " + text::html_escape(p->display_name) +
                         "</p><p>The API saw your scopes: " + text::html_escape(text::join(p->scopes, " ")) + "</p>");
  }

  response sign_in() {
    auto a = authority();
    if (!a) return page(503, "<p>The sign-in service cannot be reached. Try again in a minute.</p>");
    auto c = identity::new_sign_in_correlation("/");
    identity::authorize_request r;
    r.authorization_endpoint = a->metadata.authorization_endpoint;
    r.client_id = settings_.azure_ad.client_id;
    r.redirect_uri = redirect_uri();
    r.scopes = settings_.host.sign_in.initial_scopes;
    r.state = c.state;
    r.nonce = c.nonce;
    r.code_challenge = identity::pkce_challenge(c.code_verifier);
    r.mode = identity::response_mode::query;
    pending_[c.state] = c;
    return redirect(identity::authorize_url(r));
  }

  response callback(const text::form_fields& q) {
    auto state = std::string(q.find("state").value_or(""));
    auto found = pending_.find(state);
    if (found == pending_.end() || !q.find("code"))
      return page(400, "<p>That sign-in could not be completed. <a href=\"/signin\">Sign in again</a></p>");
    auto c = found->second;
    pending_.erase(found);
    auto scopes = identity::scopes_of_first_resource(settings_.host.sign_in.initial_scopes);
    auto grant = identity::token_grant::authorization_code(std::string(*q.find("code")), redirect_uri(), c.code_verifier, scopes);
    using redemption = result<identity::token_response, identity::token_failure>;
    auto redeemed = sync_wait([](actors::token_service& t, identity::token_grant g) -> task<redemption> {
      co_return co_await when_called_back<redemption>([&](auto done) { t.redeem_code(std::move(g), std::move(done)); });
    }(services_.tokens(), std::move(grant)));
    auto a = authority();
    if (!redeemed || !a) return page(503, "<p>The sign-in service did not complete the sign-in. Try again.</p>");
    identity::id_token_rules rules;
    rules.issuer = a->metadata.issuer;
    rules.audience = settings_.azure_ad.client_id;
    rules.nonce = c.nonce;
    auto claims = identity::validate_id_token(redeemed->id_token, a->keys, rules);
    if (!claims) return page(400, "<p>The sign-in could not be verified. <a href=\"/signin\">Sign in again</a></p>");
    auto account = identity::home_account_id(*claims);
    services_.tokens().accept_sign_in_tokens(account, scopes, std::move(*redeemed));
    auto session = crypto::random_token(24);
    sessions_[session] = {account, claims->string("preferred_username").value_or("")};
    auto r = redirect("/");
    r.set(bhttp::field::set_cookie, "sid=" + session + "; Path=/; HttpOnly; SameSite=Lax");
    return r;
  }

  actors::token_acquirer_factory& services_;
  const config::app_settings& settings_;
  std::map<std::string, identity::sign_in_correlation> pending_;        // state → sign-in under way
  std::map<std::string, std::pair<std::string, std::string>> sessions_; // session → account, user name
};

} // namespace

int main(int argc, char** argv) {
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: onbehalf-plain-beast-example --config FILE\n";
    return 2;
  }
  auto factory = actors::token_acquirer_factory::from_file(argv[2], environ);
  if (!factory) {
    std::cerr << "error: " << factory.error() << "\nthe example did not start: fix the configuration above\n";
    return 1;
  }
  if (auto built = (*factory)->build(); !built) {
    std::cerr << "error: " << built.error() << '\n';
    return 1;
  }
  const auto& s = (*factory)->settings();
  boost::asio::io_context io;
  boost::system::error_code ec;
  tcp::acceptor acceptor(io);
  tcp::endpoint where(boost::asio::ip::make_address(s.host.listen_address), s.host.port);
  acceptor.open(where.protocol(), ec);
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(where, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "error: cannot listen on " << s.host.listen_address << ":" << s.host.port << ": " << ec.message() << '\n';
    return 1;
  }
  std::cout << "listening on http://" << s.host.listen_address << ":" << s.host.port << std::endl;
  app handler(**factory);
  for (;;) {
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) continue;
    beast::flat_buffer buffer;
    for (;;) { // keep-alive: one connection's requests in turn
      request req;
      bhttp::read(socket, buffer, req, ec);
      if (ec) break;
      auto r = handler.handle(req);
      r.keep_alive(req.keep_alive());
      bhttp::write(socket, r, ec);
      if (ec || !req.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }
}
