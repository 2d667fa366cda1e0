// What the sample programs' main()s share: settings from `--config FILE` with their problems
// printed plainly, and a host that runs until SIGINT or SIGTERM.
#pragma once

#include "onbehalf/actors/host.hpp"
#include "onbehalf/config/load.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/stop_signals.hpp"

#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace onbehalf::examples {

/// The settings of `program --config FILE` (and the environment), or nullopt after saying on
/// stderr what is wrong. Blocks the stop signals first, before any thread starts.
inline std::optional<config::app_settings> settings_of(int argc, char** argv, char** environment, std::string_view program) {
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: " << program << " --config FILE\n";
    return std::nullopt;
  }
  block_stop_signals();
  auto outcome = config::load_settings(argv[2], environment);
  for (const auto& w : outcome.warnings) std::cerr << "warning: " << w.to_string() << '\n';
  if (!outcome.settings) {
    for (const auto& e : outcome.errors) std::cerr << "error: " << e.to_string() << '\n';
    std::cerr << program << " did not start: fix the configuration above\n";
  }
  return std::move(outcome.settings);
}

/// Starts `host`, serves until a stop signal, and stops; the exit status of main().
inline int run_until_stopped(actors::host& host, std::string_view program) {
  if (auto started = host.start(); !started) {
    log_error(std::string(program) + " did not start: " + started.error());
    return 1;
  }
  log_info("Stop signal received", {{"signal", wait_for_stop_signal()}});
  host.stop();
  host.wait();
  return 0;
}

} // namespace onbehalf::examples
