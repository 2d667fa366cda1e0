// What the authority answers: its discovery document, and the token endpoint's status, body and
// Retry-After. Every answer becomes a typed outcome — tokens, or a failure that says what to do —
// and the numbers in it are bounded before they meet a clock.
// Input: the HTTP status in digits NUL the Retry-After value NUL the body.
#include "fuzz.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/identity/discovery.hpp"
#include "onbehalf/identity/token_response.hpp"

using namespace onbehalf;
using namespace onbehalf::identity;

namespace {

bool acceptable_endpoint(std::string_view url) {
  return (url.starts_with("https://") && url.size() > 8) || url.starts_with("http://127.0.0.1") || url.starts_with("http://localhost") ||
         url.starts_with("http://[::1]");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::parts in(fuzz::as_text(data, size));
  auto status_text = in.next();
  auto retry_after = in.next();
  auto body = in.rest();

  if (auto m = parse_provider_metadata(body)) {
    FUZZ_REQUIRE(!m->issuer.empty());
    for (const auto* endpoint : {&m->authorization_endpoint, &m->token_endpoint, &m->jwks_uri}) FUZZ_REQUIRE(acceptable_endpoint(*endpoint));
  } else {
    FUZZ_REQUIRE(m.error().starts_with("the discovery document"));
  }

  auto status = static_cast<unsigned>(text::parse_unsigned(status_text).value_or(200) % 1000);
  auto answer = read_token_response(status, body, retry_after);
  if (answer) {
    FUZZ_REQUIRE(status >= 200 && status < 300);
    FUZZ_REQUIRE(!answer->access_token.empty());
    FUZZ_REQUIRE(answer->expires_in > std::chrono::seconds(0) && answer->expires_in <= longest_token_lifetime);
    if (answer->refresh_in) FUZZ_REQUIRE(*answer->refresh_in > std::chrono::seconds(0) && *answer->refresh_in <= longest_token_lifetime);
    for (const auto& scope : answer->scopes) FUZZ_REQUIRE(!scope.empty() && scope.find(' ') == std::string::npos);
    return 0;
  }
  const auto& f = answer.error();
  FUZZ_REQUIRE(f.http_status == status);
  if (f.retry_after) FUZZ_REQUIRE(*f.retry_after >= std::chrono::seconds(0) && *f.retry_after <= std::chrono::hours(24));
  FUZZ_REQUIRE(!f.message().empty());
  FUZZ_REQUIRE(!to_string(f.kind).empty() && !to_string(f.reason).empty());
  auto refresh = as_refresh_failure(f);
  FUZZ_REQUIRE(refresh.http_status == f.http_status && refresh.error == f.error);
  return 0;
}
