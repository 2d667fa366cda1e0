#include "sign_in/session_ticket.hpp"

#include "onbehalf/core/crypto.hpp"
#include "onbehalf/core/text.hpp"
#include "onbehalf/core/untrusted_time.hpp"

#include <bit>
#include <charconv>
#include <functional>

namespace onbehalf::actors {

namespace {
constexpr std::string_view purpose = "onbehalf session v1";
// A session cookie is about 200 characters; a larger one is opened each time rather than held.
constexpr std::size_t largest_cached_cookie = 1024;
} // namespace

std::string seal_ticket(const key_ring& keys, const session_ticket& t) {
  auto expires = std::chrono::duration_cast<std::chrono::seconds>(t.expires.time_since_epoch()).count();
  return keys.seal(t.home_account_id + "\n" + t.session_id + "\n" + std::to_string(expires), purpose);
}

result<session_ticket, ticket_problem> open_ticket(const key_ring& keys, std::string_view sealed, std::chrono::system_clock::time_point now) {
  auto opened = keys.open(sealed, purpose);
  if (!opened) return failure{ticket_problem::unreadable};
  // Account, session and expiry lines. Read from the end: the account is an authority's `sub`,
  // which may hold a line break; the session id and the expiry are ours and never do.
  std::string_view all = *opened;
  auto last_break = all.rfind('\n');
  auto session_break = last_break == std::string_view::npos || last_break == 0 ? std::string_view::npos : all.rfind('\n', last_break - 1);
  if (session_break == std::string_view::npos) return failure{ticket_problem::unreadable};
  auto account = all.substr(0, session_break);
  auto session = all.substr(session_break + 1, last_break - session_break - 1);
  auto rest = all.substr(last_break + 1);
  if (account.empty() || session.empty()) return failure{ticket_problem::unreadable};
  long long expires = 0;
  auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), expires);
  if (error != std::errc() || end != rest.data() + rest.size()) return failure{ticket_problem::unreadable};
  session_ticket t{std::string(account), std::string(session), instant_from_untrusted(expires)};
  if (t.expires <= now) return failure{ticket_problem::expired};
  return t;
}

opened_tickets::opened_tickets(key_ring keys, std::size_t slots) : keys_(std::move(keys)), slots_(std::bit_ceil(std::max<std::size_t>(slots, 2))) {}

result<opened_tickets::ticket_ptr, ticket_problem> opened_tickets::open(std::string_view sealed, std::chrono::system_clock::time_point now) const {
  const bool cacheable = sealed.size() <= largest_cached_cookie;
  const auto pair = std::hash<std::string_view>{}(sealed) & (slots_.size() - 2); // the even slot of two
  ticket_ptr seen;
  if (cacheable) {
    std::lock_guard lock(lock_for(pair));
    for (auto i : {pair, pair + 1}) {
      auto& s = slots_[i];
      if (!s.ticket || !crypto::constant_time_equals(s.sealed, sealed)) continue;
      seen = s.ticket;
      s.used_last = true;
      slots_[i ^ 1].used_last = false;
      break;
    }
  }
  if (seen) {
    if (seen->expires <= now) return failure{ticket_problem::expired};
    return seen;
  }
  auto opened = open_ticket(keys_, sealed, now);
  if (!opened) return failure{opened.error()};
  auto ticket = std::make_shared<const session_ticket>(std::move(*opened));
  if (cacheable) {
    std::lock_guard lock(lock_for(pair));
    auto i = !slots_[pair].ticket || !slots_[pair].used_last ? pair : pair + 1;
    auto& s = slots_[i];
    s.sealed.assign(sealed);
    s.ticket = ticket;
    s.used_last = true;
    slots_[i ^ 1].used_last = false;
  }
  return ticket;
}

} // namespace onbehalf::actors
