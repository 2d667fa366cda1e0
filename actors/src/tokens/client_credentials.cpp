#include "tokens/client_credentials.hpp"

#include "onbehalf/actors/authority_client.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/identity/assertion_source.hpp"

#include <optional>

namespace onbehalf::actors::detail {

namespace {

// Where a configured credential's assertions come from; an error when it cannot be used at all.
// Files are read here once, so that one that cannot be read is passed over at start.
result<std::shared_ptr<identity::assertion_source>, std::string> assertion_source_of(const config::client_credential& c, const std::string& key,
                                                                                     const config::app_settings& settings, http::client& web) {
  using type = config::client_credential::source_type;
  switch (c.type) {
  case type::path: {
    if (auto loaded = identity::client_certificate::from_file(c.certificate_disk_path, c.certificate_password); !loaded)
      return failure{loaded.error()};
    return identity::signed_with_certificate_file(c.certificate_disk_path, c.certificate_password);
  }
  case type::base64_encoded: {
    auto loaded = identity::client_certificate::from_base64_pkcs12(c.certificate_base64_value.reveal(), c.certificate_password);
    if (!loaded) return failure{loaded.error()};
    return identity::signed_with(std::move(*loaded));
  }
  case type::signed_assertion_file_path: {
    auto source = identity::assertion_from_file(c.signed_assertion_file_path);
    std::optional<std::string> problem;
    source->assertion_for({settings.azure_ad.client_id, {}}, [&](result<secret, std::string> a) {
      if (!a) problem = a.error();
    });
    if (problem) return failure{*problem};
    return source;
  }
  case type::signed_assertion_from_managed_identity:
    // Fetched when first needed: the endpoint may not answer yet while the host starts.
    return assertion_from_managed_identity(web, managed_identity_endpoint_of(settings.managed_identity),
                                           {c.token_exchange_url, c.managed_identity_client_id, key + ":ManagedIdentityClientId"});
  case type::client_secret: break;
  }
  return std::shared_ptr<identity::assertion_source>();
}

identity::client_authentication without_credential(const config::azure_ad_options& ad) {
  identity::client_authentication a;
  a.client_id = ad.client_id;
  a.capabilities = ad.client_capabilities;
  a.how = identity::client_authentication::method::client_secret_post;
  return a;
}

std::string managed_identity_in_words(const std::string& client_id, const config::managed_identity_options& where) {
  auto who = client_id.empty() ? std::string("the system-assigned managed identity") : "the user-assigned managed identity " + client_id;
  auto from = where.identity_endpoint.empty() ? "the instance metadata service at " + where.imds_endpoint
                                              : "App Service's endpoint " + where.identity_endpoint;
  return who + ", from " + from;
}

} // namespace

identity::managed_identity_endpoint managed_identity_endpoint_of(const config::managed_identity_options& o) {
  return {o.imds_endpoint, o.identity_endpoint, o.identity_header};
}

result<identity::client_authentication, std::string> credential_of(const config::app_settings& settings, std::size_t index, http::client& web) {
  const auto& c = settings.azure_ad.client_credentials.at(index);
  auto a = without_credential(settings.azure_ad);
  a.source = "AzureAd:ClientCredentials:" + std::to_string(index);
  if (c.type == config::client_credential::source_type::client_secret) {
    a.client_secret = c.client_secret;
    return a;
  }
  auto source = assertion_source_of(c, a.source, settings, web);
  if (!source) return failure{source.error()};
  a.how = identity::client_authentication::method::private_key_jwt;
  a.assertion = std::move(*source);
  return a;
}

result<std::vector<identity::client_authentication>, std::string> client_chain_from(const config::app_settings& settings, http::client& web) {
  const auto& ad = settings.azure_ad;
  if (ad.client_credentials.empty()) return std::vector{without_credential(ad)};
  std::vector<identity::client_authentication> chain;
  std::string problems;
  for (std::size_t i = 0; i < ad.client_credentials.size(); ++i) {
    auto credential = credential_of(settings, i, web);
    if (credential) {
      chain.push_back(std::move(*credential));
      continue;
    }
    auto key = "AzureAd:ClientCredentials:" + std::to_string(i);
    log_warning("A client credential could not be loaded and is passed over", {{"credential", key}, {"reason", credential.error()}});
    problems += (problems.empty() ? "" : "; ") + key + ": " + credential.error();
  }
  if (chain.empty()) return failure{"AzureAd:ClientCredentials: none could be loaded (" + problems + ")"};
  return chain;
}

std::string describe(const config::client_credential& c, const config::managed_identity_options& where) {
  using type = config::client_credential::source_type;
  switch (c.type) {
  case type::client_secret: return "a client secret";
  case type::path: return "the certificate in " + c.certificate_disk_path + ", read again when the file changes";
  case type::base64_encoded: return "a certificate given in base64 (PKCS#12)";
  case type::signed_assertion_file_path:
    return "the signed token in " + c.signed_assertion_file_path + " (workload identity federation), read again when the file changes";
  case type::signed_assertion_from_managed_identity:
    return "the token of " + managed_identity_in_words(c.managed_identity_client_id, where) + " for " + c.token_exchange_url +
           " (a federated credential)";
  }
  return {};
}

} // namespace onbehalf::actors::detail
