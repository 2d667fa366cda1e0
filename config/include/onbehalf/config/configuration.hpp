// Layered key/value configuration with ASP.NET Core's semantics: keys are paths joined by ':',
// compared without case; arrays become indexes; later layers override earlier ones key by key.
#pragma once

#include "onbehalf/core/result.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace onbehalf::config {

/// Where a value came from, so an error can send the user to the right line.
struct source_location {
  std::string origin; // a file path, "environment variable NAME", or "default"
  int line = 0;       // 1-based; 0 when the origin has no lines
  int column = 0;

  std::string to_string() const; // "appsettings.json:12:5" or "environment variable AzureAd__ClientId"
};

struct entry {
  std::string key; // as first written, e.g. "DownstreamApis:MyAPI:Scopes:0"
  std::string value;
  source_location source;
};

/// A problem found while loading or binding configuration. Printed as
/// "<where>: <key>: <message>", e.g. "appsettings.json:4:18: AzureAd:ClientId: must not be empty".
struct problem {
  std::string key;
  source_location source;
  std::string message;

  std::string to_string() const;
};

class configuration {
public:
  /// Adds or replaces a value; later calls win, as later layers do.
  void set(std::string_view key, std::string value, source_location source);

  /// Adds a JSON file as a layer. A missing optional file adds nothing; a missing required
  /// file or malformed JSON is a problem naming the file (and line and column).
  result<bool, problem> add_json_file(const std::string& path, bool optional);

  /// Adds environment variables written `Section__Key__0` (two underscores for ':').
  /// Variables without "__" are not configuration and are skipped.
  void add_environment(char** environment);

  /// Adds the variables Azure and Kubernetes set for workloads, under the keys they mean:
  /// AZURE_FEDERATED_TOKEN_FILE (Onbehalf:WorkloadIdentity:TokenFile), IDENTITY_ENDPOINT and
  /// IDENTITY_HEADER (Onbehalf:ManagedIdentity:IdentityEndpoint, …:IdentityHeader), and
  /// AZURE_POD_IDENTITY_AUTHORITY_HOST (Onbehalf:ManagedIdentity:ImdsEndpoint), and HTTPS_PROXY
  /// and NO_PROXY (Onbehalf:Proxy:Address, …:Bypass; upper case wins over lower). Added before
  /// add_environment, so that `Onbehalf__…` variables override them.
  void add_platform_variables(char** environment);

  const entry* find(std::string_view key) const;
  bool has_section(std::string_view key) const; // true when the key or anything below it is set

  /// Names of the direct children of `section` as first written; array indexes in numeric order.
  std::vector<std::string> children(std::string_view section) const;

  const std::map<std::string, entry>& entries() const noexcept { return entries_; }

private:
  std::map<std::string, entry> entries_; // keyed by the lower-cased path
};

/// Flattens a JSON document into `into`. Comments and trailing commas are accepted, as
/// ASP.NET Core's JSON provider accepts them. `origin` names the file in locations.
result<bool, problem> parse_json_layer(std::string_view json, const std::string& origin, configuration& into);

} // namespace onbehalf::config
