// What the session cookie holds: which account and which of its sessions, and until when the
// cookie works unless used again (sliding expiry). Sealed with the cookie key ring; the claims
// stay on the server, in the session actor, so the cookie is small and sign-out really ends it.
#pragma once

#include "onbehalf/core/result.hpp"
#include "onbehalf/core/sealing.hpp"

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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

/// Session cookies opened lately, so that each request of a signed-in user does not decode and
/// decrypt the same cookie again (base64 and AES-GCM: a tenth of the work of a page that calls
/// an API). Only cookies that opened are kept, and a hit is the very same cookie text, compared
/// in constant time: what it holds cannot differ from what opening it gave. Expiry is checked on
/// every use; a cookie the cache has not seen, or has let go, is opened as before. The key ring
/// never changes, so nothing a key opened outlives the key. Safe to share between threads.
class opened_tickets {
public:
  using ticket_ptr = std::shared_ptr<const session_ticket>;

  /// `slots` is rounded up to an even power of two; each holds one cookie of at most 1 KB. A
  /// cookie may sit in either slot of a pair, so two users whose cookies hash alike both stay.
  explicit opened_tickets(key_ring keys, std::size_t slots = 4096);

  result<ticket_ptr, ticket_problem> open(std::string_view sealed, std::chrono::system_clock::time_point now) const;

private:
  struct slot {
    std::string sealed;
    ticket_ptr ticket;
    bool used_last = false; // of its pair: the other one is replaced first
  };
  std::mutex& lock_for(std::size_t pair) const { return locks_[(pair / 2) % locks_.size()]; } // pairs start at even slots

  key_ring keys_;
  mutable std::vector<slot> slots_;
  mutable std::array<std::mutex, 16> locks_;
};

} // namespace onbehalf::actors
