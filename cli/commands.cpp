#include "commands.hpp"

#include "onbehalf/actors/credential_probe.hpp"
#include "onbehalf/actors/host.hpp"
#include "onbehalf/config/load.hpp"
#include "onbehalf/core/base64.hpp"
#include "onbehalf/core/log.hpp"

#include <openssl/rand.h>

#include <iomanip>
#include <iostream>

namespace onbehalf::cli {

namespace {

void print_problems(const config::load_outcome& outcome, std::ostream& out) {
  for (const auto& w : outcome.warnings) out << "warning: " << w.to_string() << '\n';
  for (const auto& e : outcome.errors) out << "error: " << e.to_string() << '\n';
}

std::string_view in_words(actors::credential_report::verdict v) {
  using verdict = actors::credential_report::verdict;
  switch (v) {
  case verdict::works: return "works";
  case verdict::refused: return "REFUSED by the authority";
  case verdict::unusable: return "CANNOT BE USED";
  case verdict::unclear: return "unclear";
  case verdict::not_probed: return "";
  }
  return "";
}

// The credential chain in words; with a probe, which ones the authority accepts. False when a
// probe found none that works.
bool print_credentials(const config::app_settings& settings, bool probe, std::ostream& out) {
  auto reports = probe ? actors::probe_credentials(settings) : actors::describe_credentials(settings);
  if (reports.empty()) return true;
  out << "client credentials, tried in this order:\n";
  bool any_works = false;
  for (const auto& r : reports) {
    out << "  " << r.key << ": " << r.description << '\n';
    if (!probe) continue;
    out << "    " << in_words(r.state) << (r.detail.empty() ? "" : ": " + r.detail) << '\n';
    any_works = any_works || r.state == actors::credential_report::verdict::works;
  }
  if (probe && !any_works) out << "error: no client credential works; fix the ones above\n";
  return !probe || any_works;
}

} // namespace

int check_config(const std::string& path, char** environment, std::ostream& out, bool probe) {
  auto outcome = config::load_settings(path, environment);
  std::size_t width = 0;
  for (const auto& v : outcome.effective) width = std::max(width, v.key.size());
  for (const auto& v : outcome.effective)
    out << std::left << std::setw(static_cast<int>(width)) << v.key << " = " << v.shown << "   (" << v.origin << ")\n";
  bool credentials_work = !outcome.settings || print_credentials(*outcome.settings, probe, out);
  print_problems(outcome, out);
  out << (outcome.errors.empty() ? "configuration is valid" : "configuration has errors") << " (" << outcome.errors.size() << " errors, "
      << outcome.warnings.size() << " warnings)\n";
  return outcome.errors.empty() && credentials_work ? 0 : 1;
}

int generate_key(std::ostream& out) {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) {
    std::cerr << "error: the system's random number generator is not available\n";
    return 1;
  }
  out << base64::encode(std::string_view(reinterpret_cast<const char*>(key), sizeof key)) << '\n';
  return 0;
}

int serve(const std::string& path, char** environment) {
  auto outcome = config::load_settings(path, environment);
  if (!outcome.settings) {
    print_problems(outcome, std::cerr);
    std::cerr << "onbehalf did not start: fix the configuration above (`onbehalf check-config " << path << "` shows all settings)\n";
    return 1;
  }
  for (const auto& w : outcome.warnings) log_warning("Configuration: " + w.to_string());
  actors::host app(std::move(*outcome.settings));
  return app.run();
}

} // namespace onbehalf::cli
