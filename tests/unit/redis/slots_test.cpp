// Redis Cluster's hash slots and what a cluster says about them, read as untrusted input.
#include "cluster_map.hpp"

#include "onbehalf/redis/slots.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::redis;

TEST_CASE("slots: CRC16 is XMODEM's, and keys map to the slots Redis gives them") {
  CHECK(crc16("123456789") == 0x31C3); // the XMODEM check value
  CHECK(slot_of("foo") == 12182);      // CLUSTER KEYSLOT foo
  CHECK(slot_of("bar") == 5061);
  CHECK(slot_of("") == 0);
}

TEST_CASE("slots: a hash tag places keys together — an empty tag does not count") {
  CHECK(slot_of("{user1000}.following") == slot_of("{user1000}.followers"));
  CHECK(slot_of("{user1000}.following") == slot_of("user1000"));
  CHECK(slot_of("foo{}{bar}") == crc16("foo{}{bar}") % slot_count); // the first tag is empty: the whole key
  CHECK(slot_of("foo{{bar}}zap") == slot_of("{bar"));               // the tag ends at the first '}'
  CHECK(slot_of("foo{bar}{zap}") == slot_of("bar"));
  CHECK(slot_of("onbehalf:{u|oid.tid|}") == slot_of("onbehalf:{u|oid.tid|}:lease:abc"));
}

TEST_CASE("slots: MOVED and ASK name a slot and a node — anything else is not a redirection") {
  auto moved = detail::parse_redirection("MOVED 3999 127.0.0.1:6381");
  REQUIRE(moved);
  CHECK(moved->moved);
  CHECK(moved->slot == 3999);
  CHECK(moved->to.host == "127.0.0.1");
  CHECK(moved->to.port == 6381);
  auto ask = detail::parse_redirection("ASK 1 redis-2.internal:7000");
  REQUIRE(ask);
  CHECK_FALSE(ask->moved);
  CHECK(ask->to.host == "redis-2.internal");
  for (const char* bad : {"MOVED", "MOVED 16384 127.0.0.1:1", "MOVED -1 127.0.0.1:1", "MOVED 1 127.0.0.1:0", "MOVED 1 127.0.0.1:70000",
                          "MOVED 1 127.0.0.1", "MOVED 1 :6379", "MOVED x 127.0.0.1:1", "ERR MOVED 1 a:1", "ASK 1 a b:1"}) {
    INFO(bad);
    CHECK_FALSE(detail::parse_redirection(bad));
  }
}

namespace {

reply integer(long long n) {
  reply r;
  r.type = reply::kind::integer;
  r.integer = n;
  return r;
}
reply text(std::string s) {
  reply r;
  r.type = reply::kind::string;
  r.text = std::move(s);
  return r;
}
reply list(std::vector<reply> elements) {
  reply r;
  r.type = reply::kind::array;
  r.elements = std::move(elements);
  return r;
}

} // namespace

TEST_CASE("slots: CLUSTER SLOTS becomes ranges with their masters — a master without a host is the node asked") {
  auto r = list({list({integer(0), integer(5460), list({text("127.0.0.1"), integer(7000), text("id-a")}), list({text("127.0.0.1"), integer(7003)})}),
                 list({integer(5461), integer(16383), list({text(""), integer(7001), text("id-b")})})});
  auto map = detail::parse_cluster_slots(r, {"10.0.0.9", 7001});
  REQUIRE(map);
  REQUIRE(map->ranges.size() == 2);
  CHECK(map->ranges[0].last == 5460);
  CHECK(map->ranges[0].owner.port == 7000);
  CHECK(map->ranges[1].owner.host == "10.0.0.9");
}

TEST_CASE("slots: a CLUSTER SLOTS reply out of bounds is refused whole") {
  auto master = list({text("127.0.0.1"), integer(7000)});
  for (auto bad : {list({list({integer(0), integer(16384), master})}), list({list({integer(10), integer(5), master})}),
                   list({list({integer(0), integer(1), list({text("127.0.0.1"), integer(0)})})}), list({list({integer(0), integer(1)})}),
                   list({list({integer(0), integer(1), list({text("bad host"), integer(7000)})})}), text("not a list"), list({})}) {
    CHECK_FALSE(detail::parse_cluster_slots(bad, {"127.0.0.1", 7000}));
  }
}
