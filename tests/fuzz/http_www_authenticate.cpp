// WWW-Authenticate values as a downstream API sends them (claims challenges, insufficient scope):
// whatever is read from one must be read the same way again once written back in the canonical
// form — quoted parameters, one challenge after another — so nothing depends on the spelling.
#include "fuzz.hpp"

#include "onbehalf/http/www_authenticate.hpp"

using namespace onbehalf;

namespace {

std::string quoted(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string written(const std::vector<http::auth_challenge>& challenges) {
  std::string out;
  for (const auto& c : challenges) {
    if (!out.empty()) out += ", ";
    out += c.scheme;
    if (!c.token68.empty()) out += " " + c.token68;
    for (std::size_t i = 0; i < c.params.size(); ++i) out += (i == 0 ? " " : ", ") + c.params[i].first + "=" + quoted(c.params[i].second);
  }
  return out;
}

bool same(const std::vector<http::auth_challenge>& a, const std::vector<http::auth_challenge>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].scheme != b[i].scheme || a[i].token68 != b[i].token68 || a[i].params != b[i].params) return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto value = fuzz::as_text(data, size);
  auto challenges = http::parse_www_authenticate(value);
  for (const auto& c : challenges) {
    FUZZ_REQUIRE(!c.scheme.empty());
    FUZZ_REQUIRE(c.token68.empty() || c.params.empty());
    for (const auto& [name, v] : c.params) {
      FUZZ_REQUIRE(!name.empty());
      for (char ch : name) FUZZ_REQUIRE(!(ch >= 'A' && ch <= 'Z')); // names lower-cased
      FUZZ_REQUIRE(c.param(name).has_value());
    }
  }
  FUZZ_REQUIRE(same(http::parse_www_authenticate(written(challenges)), challenges));

  // Several headers read as one list, in order.
  http::header_list headers;
  headers.add("WWW-Authenticate", std::string(value));
  headers.add("www-authenticate", std::string(value));
  auto both = http::www_authenticate_challenges(headers);
  FUZZ_REQUIRE(both.size() == 2 * challenges.size());
  return 0;
}
