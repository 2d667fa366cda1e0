// What the sample programs' main()s share: `program --config FILE`, its host, and its problems
// printed plainly.
#pragma once

#include "onbehalf/actors/host.hpp"

#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace onbehalf::examples {

/// The host of `program --config FILE`, or nullopt after saying on stderr what is wrong; then
/// main() returns `exit_status`: 2 for a wrong command line, 1 for a wrong configuration.
inline std::optional<actors::host> host_of(int argc, char** argv, std::string_view program, int& exit_status) {
  if (argc != 3 || std::string_view(argv[1]) != "--config") {
    std::cerr << "usage: " << program << " --config FILE\n";
    exit_status = 2;
    return std::nullopt;
  }
  auto host = actors::host::from_file(argv[2]);
  if (!host) {
    std::cerr << host.error() << '\n' << program << " did not start: fix the configuration above\n";
    exit_status = 1;
    return std::nullopt;
  }
  return std::move(*host);
}

} // namespace onbehalf::examples
