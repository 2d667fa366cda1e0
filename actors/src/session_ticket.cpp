#include "session_ticket.hpp"

#include "onbehalf/core/text.hpp"

#include <charconv>

namespace onbehalf::actors {

namespace {
constexpr std::string_view purpose = "onbehalf session v1";
}

std::string seal_ticket(const key_ring& keys, const session_ticket& t) {
  auto expires = std::chrono::duration_cast<std::chrono::seconds>(t.expires.time_since_epoch()).count();
  return keys.seal(t.home_account_id + "\n" + t.session_id + "\n" + std::to_string(expires), purpose);
}

result<session_ticket, ticket_problem> open_ticket(const key_ring& keys, std::string_view sealed, std::chrono::system_clock::time_point now) {
  auto opened = keys.open(sealed, purpose);
  if (!opened) return failure{ticket_problem::unreadable};
  // Three lines; a fourth would be left in the expiry, which then does not read as a number.
  std::string_view rest = *opened;
  auto account = text::next_part(rest, '\n');
  auto session = text::next_part(rest, '\n');
  if (account.empty() || session.empty()) return failure{ticket_problem::unreadable};
  long long expires = 0;
  auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), expires);
  if (error != std::errc() || end != rest.data() + rest.size()) return failure{ticket_problem::unreadable};
  session_ticket t{std::string(account), std::string(session), std::chrono::system_clock::time_point(std::chrono::seconds(expires))};
  if (t.expires <= now) return failure{ticket_problem::expired};
  return t;
}

} // namespace onbehalf::actors
