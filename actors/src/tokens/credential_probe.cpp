#include "onbehalf/actors/credential_probe.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "tokens/client_credentials.hpp"

#include <future>

namespace onbehalf::actors {

namespace {

std::vector<std::string> probe_scopes(const config::app_settings& s) {
  for (const auto& api : s.downstream_apis)
    if (api.request_app_token && !api.token_options.managed_identity && !api.scopes.empty()) return {api.scopes.front()};
  if (!s.azure_ad.instance.empty()) return {"https://graph.microsoft.com/.default"};
  return {};
}

// An answer that may come after the asker stopped waiting: the promise lives as long as either.
template <class T>
struct awaited {
  std::shared_ptr<std::promise<T>> promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();

  std::function<void(T)> setter() const {
    return [p = promise](T value) { p->set_value(std::move(value)); };
  }
  std::optional<T> wait(std::chrono::milliseconds timeout) {
    if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future.get();
  }
};

void judge(credential_report& r, const token_outcome& outcome) {
  using verdict = credential_report::verdict;
  if (outcome) {
    r.state = verdict::works;
    r.detail = "the authority issued an app token with it";
    return;
  }
  const auto& f = outcome.error();
  r.detail = f.message();
  r.state = f.error == "invalid_client" || f.error == "unauthorized_client" ? verdict::refused : verdict::unclear;
}

void probe_one(credential_report& r, const identity::client_authentication& client, const std::string& token_endpoint,
               const std::vector<std::string>& scopes, http::client& web, std::chrono::milliseconds timeout) {
  identity::token_request_options options;
  if (client.how == identity::client_authentication::method::private_key_jwt) {
    awaited<result<secret, std::string>> made;
    client.assertion->assertion_for({client.client_id, token_endpoint, std::chrono::system_clock::now()}, made.setter());
    auto assertion = made.wait(timeout);
    if (!assertion || !*assertion) {
      r.state = credential_report::verdict::unusable;
      r.detail = assertion ? assertion->error() : "no assertion within " + std::to_string(timeout.count()) + " ms";
      return;
    }
    options.client_assertion = std::move(**assertion);
  }
  awaited<token_outcome> sent;
  send_token_request(web, identity::build_token_request(token_endpoint, client, identity::token_grant::client_credentials(scopes), options),
                     sent.setter(), timeout);
  auto outcome = sent.wait(timeout + std::chrono::seconds(1));
  if (!outcome) {
    r.state = credential_report::verdict::unclear;
    r.detail = "the authority did not answer in time";
    return;
  }
  judge(r, *outcome);
}

} // namespace

std::vector<credential_report> describe_credentials(const config::app_settings& settings) {
  std::vector<credential_report> reports;
  const auto& credentials = settings.azure_ad.client_credentials;
  for (std::size_t i = 0; i < credentials.size(); ++i)
    reports.push_back({"AzureAd:ClientCredentials:" + std::to_string(i), detail::describe(credentials[i], settings.managed_identity), {}, {}});
  return reports;
}

std::vector<credential_report> probe_credentials(const config::app_settings& settings, std::chrono::milliseconds timeout) {
  auto reports = describe_credentials(settings);
  if (reports.empty()) return reports;
  auto fail_all = [&](const std::string& why) {
    for (auto& r : reports) {
      r.state = credential_report::verdict::unclear;
      r.detail = why;
    }
    return reports;
  };
  http::client_options client_options;
  client_options.ca_bundle_path = settings.host.ca_bundle_path;
  client_options.proxy = settings.host.proxy.address;
  client_options.no_proxy = settings.host.proxy.bypass;
  // Declared first, so it goes last: the client, closing, may still call back into it.
  std::unique_ptr<identity::authority_cache> authority;
  auto web = http::client::create(client_options);
  if (!web) return fail_all("Onbehalf:CaBundlePath: " + web.error());
  authority = std::make_unique<identity::authority_cache>(settings.azure_ad.effective_authority(), fetch_over(**web));
  awaited<result<identity::authority_cache::snapshot_ptr, std::string>> discovered;
  authority->get(discovered.setter());
  auto metadata = discovered.wait(timeout);
  if (!metadata) return fail_all("the authority's discovery document did not arrive in time");
  if (!*metadata) return fail_all("the authority's discovery document: " + metadata->error());
  auto token_endpoint = (**metadata)->metadata.token_endpoint;
  auto scopes = probe_scopes(settings);
  for (std::size_t i = 0; i < reports.size(); ++i) {
    auto client = detail::credential_of(settings, i, **web);
    if (!client) {
      reports[i].state = credential_report::verdict::unusable;
      reports[i].detail = client.error();
      continue;
    }
    probe_one(reports[i], *client, token_endpoint, scopes, **web, timeout);
  }
  return reports;
}

} // namespace onbehalf::actors
