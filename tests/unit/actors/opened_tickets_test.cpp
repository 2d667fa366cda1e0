#include "sign_in/session_ticket.hpp"

#include "onbehalf/core/crypto.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace onbehalf;
using namespace onbehalf::actors;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::system_clock;
const auto now = clock_type::time_point(std::chrono::seconds(1'800'000'000));

key_ring ring_with_key(std::string id) {
  auto ring = key_ring::make({{std::move(id), secret(crypto::random_bytes(32))}});
  REQUIRE(ring);
  return *ring;
}

session_ticket ticket_for(int user, clock_type::time_point expires = now + 1h) {
  return {"account-" + std::to_string(user), "session-" + std::to_string(user), expires};
}

// A cookie of the same length whose last character differs: its tag no longer matches.
std::string changed(std::string cookie) {
  cookie.back() = cookie.back() == 'A' ? 'B' : 'A';
  return cookie;
}

} // namespace

TEST_CASE("a session cookie opens to the ticket sealed in it") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring);
  auto t = tickets.open(seal_ticket(ring, ticket_for(1)), now);
  REQUIRE(t);
  CHECK((*t)->home_account_id == "account-1");
  CHECK((*t)->session_id == "session-1");
  CHECK((*t)->expires == ticket_for(1).expires);
}

TEST_CASE("an account whose sub holds a line break or a bar still opens as itself") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring);
  for (std::string account : {"auth0|ada.h1", "line\nbreak.h1", "two\n\nbreaks\n.h1"}) {
    INFO(account);
    auto t = tickets.open(seal_ticket(ring, {account, "session-1", now + 1h}), now);
    REQUIRE(t);
    CHECK((*t)->home_account_id == account);
    CHECK((*t)->session_id == "session-1");
  }
}

TEST_CASE("the same session cookie opened again is served from the cache") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring);
  auto cookie = seal_ticket(ring, ticket_for(1));
  auto first = tickets.open(cookie, now);
  auto second = tickets.open(cookie, now + 1s);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->get() == second->get());
}

TEST_CASE("a cached session cookie past its expiry is refused as expired") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring);
  auto cookie = seal_ticket(ring, ticket_for(1, now + 10min));
  REQUIRE(tickets.open(cookie, now));
  auto later = tickets.open(cookie, now + 10min);
  REQUIRE_FALSE(later);
  CHECK(later.error() == ticket_problem::expired);
}

TEST_CASE("a changed cookie in a cached cookie's slot is refused, and the cached one still opens") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring, 2); // one pair of slots: every cookie meets the cached ones
  auto cookie = seal_ticket(ring, ticket_for(1));
  REQUIRE(tickets.open(cookie, now));
  auto forged = tickets.open(changed(cookie), now);
  REQUIRE_FALSE(forged);
  CHECK(forged.error() == ticket_problem::unreadable);
  auto again = tickets.open(cookie, now);
  REQUIRE(again);
  CHECK((*again)->home_account_id == "account-1");
}

TEST_CASE("a cookie sealed with other keys is refused even while the slot holds a good one") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring, 2);
  REQUIRE(tickets.open(seal_ticket(ring, ticket_for(1)), now));
  auto foreign = tickets.open(seal_ticket(ring_with_key("k1"), ticket_for(1)), now);
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error() == ticket_problem::unreadable);
}

TEST_CASE("cookies sharing slots each open to their own ticket") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring, 2);
  auto first = seal_ticket(ring, ticket_for(1));
  auto second = seal_ticket(ring, ticket_for(2));
  for (int round = 0; round < 3; ++round) {
    auto a = tickets.open(first, now);
    auto b = tickets.open(second, now);
    REQUIRE(a);
    REQUIRE(b);
    CHECK((*a)->session_id == "session-1");
    CHECK((*b)->session_id == "session-2");
  }
}

TEST_CASE("two cookies that hash to the same pair of slots both stay cached") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring, 2);
  auto first = seal_ticket(ring, ticket_for(1));
  auto second = seal_ticket(ring, ticket_for(2));
  auto a = tickets.open(first, now);
  auto b = tickets.open(second, now);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(tickets.open(first, now)->get() == a->get());
  CHECK(tickets.open(second, now)->get() == b->get());
}

TEST_CASE("a third cookie for a full pair of slots replaces the one used longest ago") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring, 2);
  auto first = seal_ticket(ring, ticket_for(1));
  auto second = seal_ticket(ring, ticket_for(2));
  auto third = seal_ticket(ring, ticket_for(3));
  auto a = tickets.open(first, now);
  auto b = tickets.open(second, now);
  REQUIRE(tickets.open(first, now)); // now the second was used longest ago
  REQUIRE(tickets.open(third, now));
  CHECK(tickets.open(first, now)->get() == a->get());
  CHECK(tickets.open(second, now)->get() != b->get()); // opened afresh
}

TEST_CASE("threads opening many cookies through a few slots each get their own tickets") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring, 4);
  std::vector<std::string> cookies;
  for (int user = 0; user < 32; ++user) cookies.push_back(seal_ticket(ring, ticket_for(user)));
  auto open_all = [&](int offset, int& wrong) {
    for (int round = 0; round < 200; ++round) {
      for (int k = 0; k < 32; ++k) {
        int user = (k + offset) % 32;
        auto t = tickets.open(cookies[static_cast<std::size_t>(user)], now);
        if (!t || (*t)->session_id != "session-" + std::to_string(user)) ++wrong;
      }
    }
  };
  int wrong_a = 0, wrong_b = 0;
  std::thread a(open_all, 0, std::ref(wrong_a));
  std::thread b(open_all, 7, std::ref(wrong_b));
  a.join();
  b.join();
  CHECK(wrong_a == 0);
  CHECK(wrong_b == 0);
}

TEST_CASE("a cookie larger than a slot holds still opens") {
  auto ring = ring_with_key("k1");
  opened_tickets tickets(ring);
  session_ticket big{std::string(2000, 'a'), "session-1", now + 1h};
  auto cookie = seal_ticket(ring, big);
  auto first = tickets.open(cookie, now);
  auto second = tickets.open(cookie, now);
  REQUIRE(first);
  REQUIRE(second);
  CHECK((*second)->home_account_id == big.home_account_id);
  CHECK(first->get() != second->get()); // opened each time, not held
}
