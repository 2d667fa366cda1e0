// What `onbehalf check-config` says about AzureAd:ClientCredentials: each credential in words,
// and with --probe, whether the authority accepts it.
#pragma once

#include "onbehalf/config/settings.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace onbehalf::actors {

struct credential_report {
  std::string key;         // AzureAd:ClientCredentials:0
  std::string description; // "the certificate in /etc/app.pem, read again when the file changes"
  enum class verdict {
    not_probed,
    works,    // the authority issued an app token with it
    refused,  // the authority refused it (invalid_client)
    unusable, // it could not be loaded or made (a file, a managed identity)
    unclear,  // the authority answered something else; `detail` says what
  } state = verdict::not_probed;
  std::string detail;
};

/// Each configured credential, in order of use, in words.
std::vector<credential_report> describe_credentials(const config::app_settings& settings);

/// Each credential tried alone: an app token asked of the authority with it, for the first API
/// that asks for app tokens, else Microsoft Graph (Entra), else without a scope.
std::vector<credential_report> probe_credentials(const config::app_settings& settings, std::chrono::milliseconds timeout = std::chrono::seconds(10));

} // namespace onbehalf::actors
