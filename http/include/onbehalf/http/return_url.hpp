// Where a user may be sent back after signing in or out: only to this application, never
// elsewhere (no open redirect through //host, backslashes, control characters or encodings).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace onbehalf::http {

/// `candidate` when it is a local path ("/profile?tab=mail"), else nullopt. A value that is still
/// local after one more percent-decoding is required too, since some proxies decode once more.
std::optional<std::string> local_return_url(std::string_view candidate);

} // namespace onbehalf::http
