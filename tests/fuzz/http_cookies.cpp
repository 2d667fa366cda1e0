// The Cookie header as browsers send it (several headers, any spacing, cookies of any name), read
// as the session and correlation cookies are read; and values split across chunked cookies,
// which must come back whole from the Cookie header a browser would send for them.
// Input: a cookie name NUL a value NUL Cookie header values, one per line.
#include "fuzz.hpp"

#include "onbehalf/core/text.hpp"
#include "onbehalf/http/cookies.hpp"

using namespace onbehalf;

namespace {

bool cookie_safe(std::string_view s) {
  for (unsigned char c : s)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\') return false;
  return true;
}

// What a browser sends back for Set-Cookie values: each "name=value" before the first ';'.
http::header_list cookie_header_for(const std::vector<std::string>& set_cookies) {
  std::string cookie;
  for (const auto& set : set_cookies) {
    if (set.find("; Max-Age=0") != std::string::npos) continue; // expired: not sent (a value holds no ';')
    cookie += (cookie.empty() ? "" : "; ") + set.substr(0, set.find(';'));
  }
  http::header_list h;
  h.add("Cookie", cookie);
  return h;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::parts in(fuzz::as_text(data, size));
  auto name = in.next();
  auto value = in.next();

  http::header_list sent;
  for (std::string_view rest = in.rest(); !rest.empty();) sent.add("Cookie", std::string(text::next_part(rest, '\n')));
  auto found = http::find_cookie(sent, name);
  if (found) FUZZ_REQUIRE(found->find(';') == std::string::npos); // a value never runs into the next cookie
  auto chunks = http::read_chunk_count(sent, name);
  FUZZ_REQUIRE(chunks <= 64); // a forged count builds nothing large
  auto whole = http::read_chunked_cookie(sent, name);
  if (whole && chunks == 0) FUZZ_REQUIRE(whole == found);

  // Names that cannot be a cookie's are a programming error (set_cookie throws), not input.
  if (name.empty() || !cookie_safe(name) || name.find('=') != std::string_view::npos) return 0;
  FUZZ_REQUIRE(http::expire_chunked_cookie(sent, name, {}).size() == chunks + 1); // the cookie and each chunk

  // Round trip: a cookie-safe value, however long, comes back whole; small chunks make many.
  if (!cookie_safe(value)) return 0;
  for (std::size_t chunk_size : {http::max_cookie_chunk, std::size_t{16}}) {
    if (value.size() > 64 * chunk_size) continue; // more chunks than a reader believes
    auto set = http::set_chunked_cookie(name, value, {}, 3, chunk_size);
    auto back = http::read_chunked_cookie(cookie_header_for(set), name);
    // A plain value that looks like a chunk count ("chunks-2") is read as one: the format's own ambiguity.
    if (value.starts_with("chunks-") && value.size() <= chunk_size) continue;
    FUZZ_REQUIRE(back && *back == value);
  }
  return 0;
}
