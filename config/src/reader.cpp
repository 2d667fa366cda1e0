#include "onbehalf/config/reader.hpp"

#include "onbehalf/core/text.hpp"

namespace onbehalf::config {

std::string section_reader::text(const std::string& key, std::string fallback) const {
  auto* e = c_.find(key);
  return e && !e->value.empty() ? e->value : fallback;
}

std::string section_reader::required(const std::string& key) {
  auto value = text(key);
  if (value.empty()) problem(key, "is required");
  return value;
}

std::vector<std::string> section_reader::list(const std::string& key) const {
  std::vector<std::string> out;
  for (const auto& index : c_.children(key)) out.push_back(text(key + ":" + index));
  return out;
}

std::map<std::string, std::vector<std::string>> section_reader::map_of_lists(const std::string& key) const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& index : c_.children(key)) out[text(key + ":" + index + ":Resource")] = list(key + ":" + index + ":Values");
  return out;
}

bool section_reader::flag(const std::string& key, bool fallback) {
  auto v = text(key, fallback ? "true" : "false");
  if (!text::iequals(v, "true") && !text::iequals(v, "false")) problem(key, "must be true or false, not '" + v + "'");
  return text::iequals(v, "true");
}

std::uint64_t section_reader::number(const std::string& key, std::uint64_t fallback) {
  auto v = text(key);
  if (v.empty()) return fallback;
  auto n = text::parse_unsigned(v);
  if (!n) problem(key, "must be a whole number, not '" + v + "'");
  return n.value_or(fallback);
}

void section_reader::problem(const std::string& key, std::string message) {
  auto* e = c_.find(key);
  problems.push_back({key, e ? e->source : source_location{}, std::move(message)});
}

result<configuration, std::vector<problem>> load_layers(const std::string& path, char** environment) {
  configuration c;
  if (auto loaded = c.add_json_file(path, false); !loaded) return failure{std::vector<problem>{loaded.error()}};
  c.add_environment(environment);
  return c;
}

} // namespace onbehalf::config
