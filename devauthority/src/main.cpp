// onbehalf-devauthority: the development authority as its own process.
#include "onbehalf/core/log.hpp"
#include "onbehalf/core/stop_signals.hpp"
#include "onbehalf/devauthority/dev_authority.hpp"

#include <iostream>
#include <string_view>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: onbehalf-devauthority --config FILE\n";
    return 2;
  }
  onbehalf::block_stop_signals();

  auto directory = onbehalf::devauthority::load_directory(argv[2], environ);
  if (!directory) {
    for (const auto& p : directory.error()) std::cerr << "error: " << p.to_string() << '\n';
    std::cerr << "onbehalf-devauthority did not start: fix the configuration above\n";
    return 1;
  }
  onbehalf::devauthority::dev_authority authority(std::move(*directory));
  if (auto started = authority.start(); !started) {
    onbehalf::log_error("onbehalf-devauthority did not start: " + started.error());
    return 1;
  }
  onbehalf::wait_for_stop_signal();
  authority.stop();
  authority.wait();
  return 0;
}
