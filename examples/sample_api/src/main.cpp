// onbehalf-sample-api: the samples' downstream API as its own process.
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/stop_signals.hpp"
#include "onbehalf/sample_api/sample_api.hpp"

#include <iostream>
#include <string_view>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: onbehalf-sample-api --config FILE\n";
    return 2;
  }
  onbehalf::block_stop_signals();
  auto settings = onbehalf::sample_api::load_settings(argv[2], environ);
  if (!settings) {
    for (const auto& p : settings.error()) std::cerr << "error: " << p.to_string() << '\n';
    std::cerr << "onbehalf-sample-api did not start: fix the configuration above\n";
    return 1;
  }
  onbehalf::sample_api::server api(std::move(*settings));
  if (auto started = api.start(); !started) {
    onbehalf::log_error("onbehalf-sample-api did not start: " + started.error());
    return 1;
  }
  onbehalf::wait_for_stop_signal();
  api.stop();
  api.wait();
  return 0;
}
