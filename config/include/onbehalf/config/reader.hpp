// Reading a program's own configuration section (the dev authority's, the sample API's) key by
// key, collecting one problem per bad key so a user sees them all at once.
#pragma once

#include "onbehalf/config/configuration.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onbehalf::config {

class section_reader {
public:
  explicit section_reader(const configuration& c) : c_(c) {}

  /// The value, or `fallback` when absent or empty.
  std::string text(const std::string& key, std::string fallback = {}) const;
  std::string required(const std::string& key);
  std::vector<std::string> list(const std::string& key) const;
  /// Lists keyed by URIs ("api://x"), whose ':' would split a key path, written as objects:
  /// [{"Resource": "api://x", "Values": ["a"]}].
  std::map<std::string, std::vector<std::string>> map_of_lists(const std::string& key) const;
  bool flag(const std::string& key, bool fallback = false);
  std::uint64_t number(const std::string& key, std::uint64_t fallback);
  std::vector<std::string> children(const std::string& key) const { return c_.children(key); }
  void problem(const std::string& key, std::string message);

  std::vector<config::problem> problems;

private:
  const configuration& c_;
};

/// A JSON file, then environment variables (Section__Key), as layers.
result<configuration, std::vector<problem>> load_layers(const std::string& path, char** environment);

} // namespace onbehalf::config
