// What the server seals and a browser carries back: any sealed value (AES-GCM under the key
// ring), the session ticket in the session cookie, and the sign-in correlation cookie. What the
// fuzzer sends as a cookie never opens (it has not got the keys); what was sealed opens to
// itself, under the purpose it was sealed for only; and a changed byte never opens to anything else.
// Input: a selector byte NUL-separated: plaintext, purpose, account, session, return URL, item name, item value.
#include "fuzz.hpp"
#include "sign_in/session_ticket.hpp"

#include "onbehalf/http/return_url.hpp"
#include "onbehalf/identity/sign_in_correlation.hpp"

using namespace onbehalf;
using namespace std::chrono_literals;

namespace {

void key_ring_round_trip(std::string_view plaintext, std::string_view purpose, unsigned flip) {
  const auto& keys = fuzz::fixed_keys();
  auto sealed = keys.seal(plaintext, purpose);
  auto opened = keys.open(sealed, purpose);
  FUZZ_REQUIRE(opened && *opened == plaintext);
  FUZZ_REQUIRE(!keys.open(sealed, std::string(purpose) + "."));
  auto changed = sealed;
  auto& c = changed[flip % changed.size()];
  c = c == 'A' ? 'B' : 'A';
  if (auto reopened = keys.open(changed, purpose)) FUZZ_REQUIRE(*reopened == plaintext); // only if the change was no change
}

void ticket_round_trip(std::string_view account, std::string_view session, unsigned lifetime) {
  const auto& keys = fuzz::fixed_keys();
  auto now = fuzz::fixed_now();
  actors::session_ticket t{std::string(account), std::string(session), now + std::chrono::seconds(lifetime + 1)};
  auto sealed = actors::seal_ticket(keys, t);
  auto opened = actors::open_ticket(keys, sealed, now);
  // The account is an authority's `sub`, which may hold a line break; the session id is ours.
  if (account.empty() || session.empty() || session.find('\n') != std::string_view::npos) {
    FUZZ_REQUIRE(!opened || opened->home_account_id != account || opened->session_id != session); // not a ticket: never read as one
    return;
  }
  FUZZ_REQUIRE(opened && opened->home_account_id == account && opened->session_id == session && opened->expires == t.expires);
  FUZZ_REQUIRE(!actors::open_ticket(keys, sealed, t.expires) &&
               actors::open_ticket(keys, sealed, t.expires).error() == actors::ticket_problem::expired);
  // The cache of opened tickets gives the same, hit or miss.
  actors::opened_tickets cache(keys, 4);
  for (int i = 0; i < 2; ++i) {
    auto cached = cache.open(sealed, now);
    FUZZ_REQUIRE(cached && (*cached)->home_account_id == account && (*cached)->session_id == session);
  }
}

// The app's own values (items, user flow, scopes) are text it chose: kept to ASCII here, which
// still holds every character JSON must escape. Bytes from the network arrive in the return URL.
std::string app_text(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c & 0x7F);
  return out;
}

void correlation_round_trip(std::string_view return_url, std::string_view item_name, std::string_view item_value, std::string_view flow) {
  const auto& keys = fuzz::fixed_keys();
  auto now = fuzz::fixed_now();
  auto local = http::local_return_url(return_url);
  if (!local) return; // the sign-in starts only with a local return URL
  auto c = identity::new_sign_in_correlation(*local, app_text(flow), now);
  c.items.emplace_back(app_text(item_name), app_text(item_value));
  c.scopes = {"openid", app_text(item_value)};
  auto sealed = identity::seal_correlation(keys, c);
  auto opened = identity::open_correlation(keys, sealed, c.state, now + 1min);
  FUZZ_REQUIRE(opened);
  FUZZ_REQUIRE(opened->state == c.state && opened->nonce == c.nonce && opened->code_verifier == c.code_verifier);
  FUZZ_REQUIRE(opened->return_url == c.return_url && opened->user_flow == c.user_flow && opened->scopes == c.scopes && opened->items == c.items);
  FUZZ_REQUIRE(!identity::open_correlation(keys, sealed, c.state + "x", now)); // another attempt's state
  FUZZ_REQUIRE(!identity::open_correlation(keys, sealed, c.state, now + identity::correlation_lifetime + 1s));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& keys = fuzz::fixed_keys();
  auto input = fuzz::as_text(data, size);
  // As a cookie: a forgery opens as nothing.
  FUZZ_REQUIRE(!keys.open(input, "onbehalf session v1"));
  FUZZ_REQUIRE(!actors::open_ticket(keys, input, fuzz::fixed_now()));
  FUZZ_REQUIRE(!identity::open_correlation(keys, input, "state", fuzz::fixed_now()));

  fuzz::parts in(input);
  auto selector = in.byte();
  auto plaintext = in.next(), purpose = in.next(), account = in.next(), session = in.next();
  auto return_url = in.next(), item_name = in.next(), item_value = in.next();
  key_ring_round_trip(plaintext, purpose, selector * 7);
  ticket_round_trip(account, session, selector * 3600);
  correlation_round_trip(return_url, item_name, item_value, purpose);
  return 0;
}
