// The subcommands of the onbehalf program; each returns the process exit code.
#pragma once

#include <iosfwd>
#include <string>

namespace onbehalf::cli {

/// Prints the effective configuration (secrets masked), the client credentials in words, warnings
/// and errors; 0 only when valid. With `probe`, asks the authority for an app token with each
/// credential, and fails when none works.
int check_config(const std::string& path, char** environment, std::ostream& out, bool probe = false);

/// Prints a new random 32-byte key in base64, for Onbehalf:Cache:EncryptionKeys.
int generate_key(std::ostream& out);

/// Serves until SIGINT or SIGTERM, then shuts down gracefully.
int serve(const std::string& path, char** environment);

} // namespace onbehalf::cli
