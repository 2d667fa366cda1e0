// Loading settings the way an ASP.NET Core app does: appsettings.json, then
// appsettings.{Environment}.json, then environment variables; validated once, at start.
#pragma once

#include "onbehalf/config/configuration.hpp"
#include "onbehalf/config/settings.hpp"

#include <optional>
#include <string>
#include <vector>

namespace onbehalf::config {

/// A value the application will use, for `onbehalf check-config`: secrets shown as a mask.
struct effective_value {
  std::string key;
  std::string shown;
  std::string origin; // "appsettings.json:3:18", "environment variable X" or "default"
};

/// Everything loading found. `settings` is set only when there are no errors.
struct load_outcome {
  std::optional<app_settings> settings;
  std::vector<problem> errors;
  std::vector<problem> warnings;
  std::vector<effective_value> effective;
};

/// Name of the environment variable that selects appsettings.{Environment}.json.
inline constexpr const char* environment_variable = "ONBEHALF_ENVIRONMENT";

/// Reads `path`, its environment-specific sibling (appsettings.json → appsettings.Development.json
/// when ONBEHALF_ENVIRONMENT=Development) and `environment` variables, then binds and validates.
load_outcome load_settings(const std::string& path, char** environment);

/// Binds and validates an already layered configuration.
load_outcome bind_settings(const configuration& layers);

/// load_settings for a program that only needs the settings: warnings go to the log; the error
/// lists every problem, one per line as "error: KEY: what to fix", ready to print.
result<app_settings, std::string> settings_from_file(const std::string& path, char** environment);

} // namespace onbehalf::config
