// onbehalf-sample: the sample web app of the spec, on the onbehalf host.
//
//   onbehalf-sample --config examples/appsettings.json
#include "pages.hpp"

#include "onbehalf/config/load.hpp"
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/stop_signals.hpp"

#include <iostream>
#include <string_view>

extern char** environ;

int main(int argc, char** argv) {
  using namespace onbehalf;
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: onbehalf-sample --config FILE\n";
    return 2;
  }
  block_stop_signals();
  auto outcome = config::load_settings(argv[2], environ);
  for (const auto& w : outcome.warnings) std::cerr << "warning: " << w.to_string() << '\n';
  if (!outcome.settings) {
    for (const auto& e : outcome.errors) std::cerr << "error: " << e.to_string() << '\n';
    std::cerr << "onbehalf-sample did not start: fix the configuration above\n";
    return 1;
  }
  auto blob_endpoint = outcome.settings->values_at("Sample:BlobEndpoint");
  actors::host app(std::move(*outcome.settings));
  sample::add_pages(app, blob_endpoint.empty() ? std::string() : blob_endpoint.front());
  if (auto started = app.start(); !started) {
    log_error("onbehalf-sample did not start: " + started.error());
    return 1;
  }
  log_info("Stop signal received", {{"signal", wait_for_stop_signal()}});
  app.stop();
  app.wait();
  return 0;
}
