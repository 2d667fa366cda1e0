// Where a user is sent: back to a return URL after sign-in (only ever this application), and to
// the origin the redirect URI is built from (X-Forwarded-* believed only from a trusted proxy).
// Input: a return URL candidate NUL the peer's address NUL request header lines "Name: value".
#include "fuzz.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/http/forwarded.hpp"
#include "onbehalf/http/return_url.hpp"

using namespace onbehalf;

namespace {

// What a browser would take for another host, or for no URL at all.
bool leaves_the_site(std::string_view url) {
  if (url.empty() || url.front() != '/') return true;
  if (url.size() > 1 && (url[1] == '/' || url[1] == '\\')) return true;
  for (unsigned char c : url)
    if (c < 0x20 || c == 0x7f || c == '\\') return true;
  return false;
}

bool plausible_host(std::string_view h) {
  return !h.empty() && h.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == std::string_view::npos;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::parts in(fuzz::as_text(data, size));

  auto candidate = in.next();
  if (auto local = http::local_return_url(candidate)) {
    FUZZ_REQUIRE(*local == candidate);
    FUZZ_REQUIRE(!leaves_the_site(*local));
    auto decoded = text::percent_decode(*local); // as a proxy that decodes once more sees it
    FUZZ_REQUIRE(decoded && !leaves_the_site(*decoded));
  }

  http::request r;
  r.remote_address = std::string(in.next());
  for (std::string_view rest = in.rest(); !rest.empty();) {
    auto line = text::next_part(rest, '\n');
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    r.headers.add(line.substr(0, colon), std::string(text::trim(line.substr(colon + 1))));
  }
  for (bool secure : {false, true}) {
    r.secure = secure;
    for (bool trusted : {false, true}) {
      auto o = http::origin_of(r, trusted ? std::vector<std::string>{r.remote_address} : std::vector<std::string>{});
      FUZZ_REQUIRE(o.scheme == "http" || o.scheme == "https");
      FUZZ_REQUIRE(plausible_host(o.host)); // nothing that could end the URL's authority early
      FUZZ_REQUIRE(o.via_trusted_proxy == trusted);
      if (!trusted) FUZZ_REQUIRE(o.scheme == (secure ? "https" : "http") && o.remote_address == r.remote_address);
    }
  }
  return 0;
}
