// Entry point of the onbehalf program: picks the subcommand.
#include "commands.hpp"

#include <iostream>
#include <string_view>

extern char** environ;

namespace {

constexpr std::string_view usage = R"(usage:
  onbehalf serve --config FILE     serve HTTP with the settings in FILE (appsettings.json format)
  onbehalf check-config FILE [--probe]
                                   print the effective settings (secrets masked) and the client
                                   credentials; exit 1 on any error. --probe asks the authority
                                   for an app token with each credential and says which work
  onbehalf generate-key            print a new key for Onbehalf:Cache:EncryptionKeys
Settings layer like ASP.NET Core's: FILE, then FILE with .{ONBEHALF_ENVIRONMENT} before its
extension, then environment variables such as AzureAd__ClientId or DownstreamApis__MyAPI__Scopes__0.
)";

} // namespace

int main(int argc, char** argv) {
  std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "serve" && argc == 4 && std::string_view(argv[2]) == "--config") return onbehalf::cli::serve(argv[3], environ);
  if (command == "check-config" && argc == 3) return onbehalf::cli::check_config(argv[2], environ, std::cout);
  if (command == "check-config" && argc == 4 && std::string_view(argv[3]) == "--probe")
    return onbehalf::cli::check_config(argv[2], environ, std::cout, true);
  if (command == "generate-key" && argc == 2) return onbehalf::cli::generate_key(std::cout);
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << usage;
    return 0;
  }
  std::cerr << usage;
  return 2;
}
