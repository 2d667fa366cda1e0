// Configuration as an operator writes it: an appsettings.json (comments and trailing commas
// allowed), then environment variables (Section__Key=value) layered over it, then bound and
// validated. Whatever the layers hold, every key is found again as written, under its section,
// a later layer wins, and binding names problems instead of failing, with secrets masked.
// Input: the JSON text NUL environment variables, one per line.
#include "fuzz.hpp"

#include "onbehalf/config/load.hpp"
#include "onbehalf/core/redact.hpp"
#include "onbehalf/core/text.hpp"

#include <algorithm>

using namespace onbehalf;
using namespace onbehalf::config;

namespace {

void check_layers(const configuration& c) {
  for (const auto& [lowered, e] : c.entries()) {
    FUZZ_REQUIRE(lowered == text::to_lower(e.key));
    FUZZ_REQUIRE(c.find(e.key) == &e && c.has_section(e.key));
    auto colon = e.key.rfind(':');
    if (colon == std::string::npos || colon == 0) continue; // a section named "" is the root's
    auto siblings = c.children(e.key.substr(0, colon));
    auto name = std::string_view(e.key).substr(colon + 1);
    FUZZ_REQUIRE(std::any_of(siblings.begin(), siblings.end(), [&](const auto& s) { return text::iequals(s, name); }));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::parts in(fuzz::as_text(data, size));
  auto json = in.next();

  configuration c;
  auto parsed = parse_json_layer(json, "appsettings.json", c);
  if (!parsed) FUZZ_REQUIRE(!parsed.error().message.empty() && parsed.error().source.origin == "appsettings.json");
  check_layers(c);

  std::vector<std::string> variables;
  for (std::string_view rest = in.rest(); !rest.empty();) {
    auto line = text::next_part(rest, '\n');
    variables.emplace_back(line.substr(0, line.find('\0'))); // an environment's strings end at NUL
  }
  std::vector<char*> environment;
  for (auto& v : variables) environment.push_back(v.data());
  environment.push_back(nullptr);
  c.add_environment(environment.data());
  check_layers(c);
  // The last variable of a key wins over the file and every earlier variable.
  for (auto it = variables.rbegin(); it != variables.rend(); ++it) {
    auto equals = it->find('=');
    if (equals == std::string::npos || it->substr(0, equals).find("__") == std::string::npos) continue;
    std::string key;
    for (std::size_t i = 0; i < equals; ++i) key += it->compare(i, 2, "__") == 0 ? (++i, ':') : (*it)[i];
    FUZZ_REQUIRE(c.find(key) && c.find(key)->value == it->substr(equals + 1));
    break;
  }

  auto outcome = bind_settings(c);
  FUZZ_REQUIRE(outcome.settings.has_value() == outcome.errors.empty());
  for (const auto& p : outcome.errors) FUZZ_REQUIRE(!p.to_string().empty());
  for (const auto& v : outcome.effective) {
    auto name = std::string_view(v.key).substr(v.key.rfind(':') + 1);
    if (text::iequals(name, "ClientSecret") || text::iequals(name, "CertificatePassword")) FUZZ_REQUIRE(v.shown == secret::mask);
  }
  return 0;
}
