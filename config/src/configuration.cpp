#include "onbehalf/config/configuration.hpp"

#include "onbehalf/core/text.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace onbehalf::config {

std::string source_location::to_string() const {
  if (line == 0) return origin;
  return origin + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string problem::to_string() const {
  std::string out = source.origin.empty() ? std::string() : source.to_string() + ": ";
  if (!key.empty()) out += key + ": ";
  return out + message;
}

void configuration::set(std::string_view key, std::string value, source_location source) {
  auto lowered = text::to_lower(key);
  auto it = entries_.find(lowered);
  if (it == entries_.end()) {
    entries_.emplace(std::move(lowered), entry{std::string(key), std::move(value), std::move(source)});
  } else {
    it->second.value = std::move(value);
    it->second.source = std::move(source);
  }
}

result<bool, problem> configuration::add_json_file(const std::string& path, bool optional) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (optional) return false;
    return failure{problem{"", {path}, "cannot open the configuration file (does it exist and is it readable?)"}};
  }
  std::ostringstream content;
  content << in.rdbuf();
  auto parsed = parse_json_layer(content.str(), path, *this);
  if (!parsed) return parsed;
  return true;
}

void configuration::add_environment(char** environment) {
  for (char** variable = environment; variable && *variable; ++variable) {
    std::string_view assignment(*variable);
    auto equals = assignment.find('=');
    if (equals == std::string_view::npos) continue;
    auto name = assignment.substr(0, equals);
    if (name.find("__") == std::string_view::npos) continue;
    std::string key;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (name.compare(i, 2, "__") == 0) {
        key += ':';
        ++i;
      } else {
        key += name[i];
      }
    }
    set(key, std::string(assignment.substr(equals + 1)), {"environment variable " + std::string(name)});
  }
}

void configuration::add_platform_variables(char** environment) {
  static constexpr std::pair<std::string_view, std::string_view> meanings[] = {
      {"AZURE_FEDERATED_TOKEN_FILE", "Onbehalf:WorkloadIdentity:TokenFile"},
      {"IDENTITY_ENDPOINT", "Onbehalf:ManagedIdentity:IdentityEndpoint"},
      {"IDENTITY_HEADER", "Onbehalf:ManagedIdentity:IdentityHeader"},
      {"AZURE_POD_IDENTITY_AUTHORITY_HOST", "Onbehalf:ManagedIdentity:ImdsEndpoint"},
      {"https_proxy", "Onbehalf:Proxy:Address"},
      {"HTTPS_PROXY", "Onbehalf:Proxy:Address"},
      {"no_proxy", "Onbehalf:Proxy:Bypass"},
      {"NO_PROXY", "Onbehalf:Proxy:Bypass"},
  };
  // In the order above, so that a later name (HTTPS_PROXY) wins over an earlier one (https_proxy).
  for (const auto& [name, key] : meanings) {
    for (char** variable = environment; variable && *variable; ++variable) {
      std::string_view assignment(*variable);
      auto equals = assignment.find('=');
      if (equals == std::string_view::npos || assignment.substr(0, equals) != name) continue;
      set(std::string(key), std::string(assignment.substr(equals + 1)), {"environment variable " + std::string(name)});
    }
  }
}

const entry* configuration::find(std::string_view key) const {
  auto it = entries_.find(text::to_lower(key));
  return it == entries_.end() ? nullptr : &it->second;
}

bool configuration::has_section(std::string_view key) const {
  auto lowered = text::to_lower(key);
  if (entries_.count(lowered)) return true;
  auto prefix = lowered + ":";
  auto it = entries_.lower_bound(prefix);
  return it != entries_.end() && it->first.starts_with(prefix);
}

std::vector<std::string> configuration::children(std::string_view section) const {
  auto prefix = section.empty() ? std::string() : text::to_lower(section) + ":";
  std::vector<std::string> names;
  // Siblings such as "Scopes" and "Scopes-x" interleave in sort order ("scopes", "scopes-x",
  // "scopes:0"), so a name's entries need not be adjacent: remember every name seen (as views
  // of the lowered keys, which outlive this call).
  std::set<std::string_view> seen;
  for (auto it = entries_.lower_bound(prefix); it != entries_.end() && it->first.starts_with(prefix); ++it) {
    auto rest = std::string_view(it->first).substr(prefix.size());
    auto lowered = rest.substr(0, rest.find(':'));
    if (!seen.insert(lowered).second) continue;
    names.emplace_back(std::string_view(it->second.key).substr(prefix.size(), lowered.size()));
  }
  bool all_indexes = std::all_of(names.begin(), names.end(), [](const auto& n) { return text::parse_unsigned(n).has_value(); });
  if (all_indexes)
    std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return *text::parse_unsigned(a) < *text::parse_unsigned(b); });
  return names;
}

} // namespace onbehalf::config
