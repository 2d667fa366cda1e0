// Egress through an HTTP proxy, as corporate networks require: https by a CONNECT tunnel (TLS end
// to end, the certificate checked against the API's name), plain http in absolute form,
// credentials from the proxy address, and the hosts in Bypass reached directly.
#include "../support/downstream_fixture.hpp"
#include "../support/http_proxy.hpp"

#include "onbehalf/core/base64.hpp"

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::downstream;
using actors::downstream_call_options;

namespace {

// The sample API over TLS, its certificate trusted through the CA bundle.
struct tls_files {
  temp_dir dir;
  pem_files files = write_self_signed_certificate(dir.path(""));
  std::function<void(sample_api::settings&)> for_api() {
    return [this](sample_api::settings& s) {
      s.tls_certificate_path = files.certificate_path;
      s.tls_key_path = files.key_path;
    };
  }
};

auto list_todos = [](downstream_call_options& o) { o.relative_path = "api/todos"; };

} // namespace

TEST_CASE("egress proxy: the authority (plain http) and an https API are reached through the proxy, the API by a CONNECT tunnel") {
  http_proxy proxy;
  tls_files tls;
  fixture x(
      [&](config::app_settings& s) {
        s.host.ca_bundle_path = tls.files.certificate_path;
        s.host.proxy.address = proxy.address();
      },
      tls.for_api());
  REQUIRE(x.api.base_url().starts_with("https://"));
  auto todos = run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", list_todos));
  INFO((todos ? std::string() : todos.error().message()));
  CHECK(todos);
  CHECK(proxy.tunnels() >= 1);   // the API, TLS inside the tunnel
  CHECK(proxy.forwarded() >= 2); // the authority's discovery document and token endpoint
}

TEST_CASE("egress proxy: credentials in the proxy address are sent to a proxy that wants them") {
  http_proxy proxy("Basic " + base64::encode("egress-user:egress password"));
  tls_files tls;
  auto port = proxy.address().substr(proxy.address().rfind(':') + 1);
  fixture x(
      [&](config::app_settings& s) {
        s.host.ca_bundle_path = tls.files.certificate_path;
        s.host.proxy.address = "http://egress-user:egress%20password@127.0.0.1:" + port;
      },
      tls.for_api());
  auto todos = run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", list_todos));
  INFO((todos ? std::string() : todos.error().message()));
  CHECK(todos);
  CHECK(proxy.refused() == 0);
  CHECK(proxy.tunnels() >= 1);
}

TEST_CASE("egress proxy: a proxy that wants credentials and gets none refuses the tunnel, and the error says to give them") {
  http_proxy proxy("Basic " + base64::encode("egress-user:egress-password"));
  http::client_options o;
  o.proxy = proxy.address();
  auto web = http::client::create(o);
  REQUIRE(web);
  auto reply = send_and_wait(**web, {"GET", "https://127.0.0.1:9/anything", {}, {}, {}});
  REQUIRE_FALSE(reply);
  CHECK(reply.error().error == http::client_error::connect_failed);
  CHECK(reply.error().message.find("HTTP 407") != std::string::npos);
  CHECK(reply.error().message.find("http://user:password@host:port") != std::string::npos);
  CHECK(proxy.refused() == 1);
}

TEST_CASE("egress proxy: an address that is not an http:// proxy is refused when the client is made, without echoing credentials") {
  http::client_options o;
  o.proxy = "ftp://user:secret@proxy.internal:21";
  auto web = http::client::create(o);
  REQUIRE_FALSE(web);
  CHECK(web.error().find("http://host:port") != std::string::npos);
  CHECK(web.error().find("secret") == std::string::npos);
}

TEST_CASE("egress proxy: hosts in Bypass are reached directly") {
  http_proxy proxy;
  fixture x([&](config::app_settings& s) {
    s.host.proxy.address = proxy.address();
    s.host.proxy.bypass = {"localhost", ".example.com", "127.0.0.1"};
  });
  CHECK(run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", list_todos)));
  CHECK(proxy.tunnels() == 0);
  CHECK(proxy.forwarded() == 0);
}
