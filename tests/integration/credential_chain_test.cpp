// AzureAd:ClientCredentials as a chain (MIW's credential list): tried in order, a credential that
// does not load or that the authority refuses gives way to the next, which is then remembered.
#include "../support/captured_log.hpp"
#include "../support/downstream_fixture.hpp"

#include <future>

using namespace onbehalf;
using namespace onbehalf::testing;
using namespace onbehalf::testing::downstream;
using actors::downstream_call_options;

namespace {

config::client_credential client_secret(std::string value) {
  return {config::client_credential::source_type::client_secret, secret(std::move(value)), {}, {}, {}};
}

config::client_credential certificate_file(std::string path) {
  config::client_credential c;
  c.type = config::client_credential::source_type::path;
  c.certificate_disk_path = std::move(path);
  return c;
}

// The fixture's app with these credentials, warnings logged.
std::function<void(config::app_settings&)> credentials(std::vector<config::client_credential> chain) {
  return [chain = std::move(chain)](config::app_settings& s) {
    s.azure_ad.client_credentials = chain;
    s.host.log_level = "warning";
  };
}

actors::call_result<std::vector<sample_api::todo>> list_as_app(fixture& x) {
  return run(x.apis().get_for_app<std::vector<sample_api::todo>>("TodoApp", [](downstream_call_options& o) { o.relative_path = "api/todos"; }));
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

} // namespace

TEST_CASE("credential chain: a secret the authority refuses gives way to the next, which is used from then on") {
  captured_log log;
  fixture x(credentials({client_secret("an-old-secret"), client_secret("web-app-secret-1")}));
  CHECK(list_as_app(x));
  CHECK(x.f.authority.token_requests("client_credentials") == 2); // refused, then accepted
  REQUIRE(x.forced_app_token());
  CHECK(x.f.authority.token_requests("client_credentials") == 3); // the working one, straight away
  auto lines = log.all();
  CHECK(occurrences(lines, "The authority refused a client credential") == 1);
  CHECK(lines.find("refused=AzureAd:ClientCredentials:0") != std::string::npos);
  CHECK(lines.find("now_using=AzureAd:ClientCredentials:1") != std::string::npos);
  CHECK(lines.find("an-old-secret") == std::string::npos);
}

TEST_CASE("credential chain: a certificate that cannot be loaded is passed over at start, naming its key") {
  captured_log log;
  fixture x(credentials({certificate_file("/no/such/certificate.pem"), client_secret("web-app-secret-1")}));
  CHECK(list_as_app(x));
  CHECK(x.f.authority.token_requests("client_credentials") == 1);
  INFO(log.all());
  CHECK(log.all().find("credential=AzureAd:ClientCredentials:0") != std::string::npos);
}

TEST_CASE("credential chain: when the authority refuses every credential, each is tried once and the error names the setting") {
  fixture x(credentials({client_secret("an-old-secret"), client_secret("another-old-secret")}));
  auto answer = list_as_app(x);
  REQUIRE_FALSE(answer);
  CHECK(x.f.authority.token_requests("client_credentials") == 2);
  CHECK(answer.error().message().find("AzureAd:ClientCredentials") != std::string::npos);
}
