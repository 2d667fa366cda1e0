// Masks anything that looks like a credential before text leaves the process as a log line.
#pragma once

#include <string>
#include <string_view>

namespace onbehalf::redaction {

/// Returns `text` with bearer/basic credentials, JWTs, credential-named parameters
/// (client_secret=…, "refresh_token": "…", Cookie: …) and long high-entropy strings
/// (cookie values, secrets) replaced by a mask, plus every value registered below.
std::string redact(std::string_view text);

/// Registers a value that must be masked wherever it appears (configured client secrets,
/// certificate passwords, cache keys). Values shorter than 4 characters are ignored:
/// masking them would mangle ordinary words.
void register_secret(std::string_view value);

/// True when a field or configuration key with this name carries a credential
/// (secret, password, token, cookie, authorization, key...).
bool is_sensitive_name(std::string_view name);

} // namespace onbehalf::redaction
