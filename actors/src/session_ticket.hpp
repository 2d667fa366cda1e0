// What the session cookie holds: which account and which of its sessions, and until when the
// cookie works unless used again (sliding expiry). Sealed with the cookie key ring; the claims
// stay on the server, in the session actor, so the cookie is small and sign-out really ends it.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/sealing.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace onbehalf::actors {

struct session_ticket {
  std::string home_account_id;
  std::string session_id;
  std::chrono::system_clock::time_point expires;
};

enum class ticket_problem {
  unreadable, // changed, truncated, or sealed with keys this server does not have
  expired,
};

std::string seal_ticket(const key_ring& keys, const session_ticket& t);
result<session_ticket, ticket_problem> open_ticket(const key_ring& keys, std::string_view sealed, std::chrono::system_clock::time_point now);

} // namespace onbehalf::actors
