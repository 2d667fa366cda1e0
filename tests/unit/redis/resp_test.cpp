// RESP2 as onbehalf reads it: every reply type, replies that have not all arrived, and bytes
// that are not RESP or break a limit (the connection must end; nothing is guessed).
#include "resp.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::redis;
using outcome = resp::parsed::outcome;

namespace {

resp::parsed read_reply(std::string_view bytes, const resp::limits& l = resp::limits{}) { return resp::parse(bytes, l); }

} // namespace

TEST_CASE("resp: a command is written as an array of bulk strings, binary-safe") {
  std::string out;
  resp::append_command(out, {"SET", "k", std::string("a\r\n\0b", 5)});
  CHECK(out == std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\n\0b\r\n", 31));
}

TEST_CASE("resp: each reply type is read whole, and the bytes it used are counted") {
  auto status = read_reply("+OK\r\n");
  REQUIRE(status.state == outcome::complete);
  CHECK(status.value.is_ok());
  CHECK(status.used == 5);
  auto error = read_reply("-WRONGPASS invalid username-password pair\r\n");
  CHECK(error.value.is_error());
  CHECK(error.value.text == "WRONGPASS invalid username-password pair");
  auto integer = read_reply(":-42\r\n");
  CHECK(integer.value.type == reply::kind::integer);
  CHECK(integer.value.integer == -42);
  auto bulk = read_reply(std::string("$5\r\na\r\n\0b\r\n", 11));
  CHECK(bulk.value.is_string());
  CHECK(bulk.value.text == std::string("a\r\n\0b", 5));
  CHECK(read_reply("$-1\r\n").value.is_nil());
  CHECK(read_reply("*-1\r\n").value.is_nil());
  auto empty = read_reply("$0\r\n\r\n");
  CHECK(empty.value.is_string());
  CHECK(empty.value.text.empty());
}

TEST_CASE("resp: nested arrays keep their shape") {
  auto p = read_reply("*2\r\n*3\r\n:0\r\n:5460\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n$3\r\nend\r\n");
  REQUIRE(p.state == outcome::complete);
  REQUIRE(p.value.elements.size() == 2);
  const auto& range = p.value.elements[0];
  REQUIRE(range.elements.size() == 3);
  CHECK(range.elements[1].integer == 5460);
  CHECK(range.elements[2].elements[0].text == "127.0.0.1");
  CHECK(p.value.elements[1].text == "end");
}

TEST_CASE("resp: pipelined replies are read one at a time") {
  std::string both = "+OK\r\n:7\r\n";
  auto first = read_reply(both);
  REQUIRE(first.state == outcome::complete);
  CHECK(first.used == 5);
  auto second = read_reply(std::string_view(both).substr(first.used));
  CHECK(second.value.integer == 7);
}

TEST_CASE("resp: every prefix of a reply is incomplete, never invalid or complete") {
  std::string whole = "*3\r\n$7\r\nmessage\r\n$8\r\nchannel1\r\n$11\r\nhello world\r\n";
  for (std::size_t n = 0; n < whole.size(); ++n) {
    INFO("first " << n << " bytes");
    CHECK(read_reply(std::string_view(whole).substr(0, n)).state == outcome::incomplete);
  }
  CHECK(read_reply(whole).state == outcome::complete);
}

TEST_CASE("resp: bytes that are not RESP2 end the connection, each with a reason") {
  for (const char* bad :
       {"?what\r\n", "+OK\n", ":12a\r\n", ":+1\r\n", "$-2\r\n", "*-5\r\n", "$3\r\nabcd\r\n", "$99999999999999999999999\r\n", "+O\rK\r\n", "%2\r\n"}) {
    INFO(bad);
    auto p = read_reply(bad);
    CHECK(p.state == outcome::invalid);
    CHECK_FALSE(p.problem.empty());
  }
}

TEST_CASE("resp: limits on size, elements and depth are enforced before anything is allocated for them") {
  resp::limits small;
  small.max_bytes = 64;
  small.max_elements = 4;
  small.max_depth = 2;
  CHECK(read_reply("$100\r\n", small).state == outcome::invalid);                 // declared too long
  CHECK(read_reply("*5\r\n", small).state == outcome::invalid);                   // too many elements
  CHECK(read_reply("*1\r\n*1\r\n*1\r\n:1\r\n", small).state == outcome::invalid); // too deep
  CHECK(read_reply("*1\r\n*1\r\n:1\r\n", small).state == outcome::complete);
  CHECK(read_reply(std::string(70, 'x'), small).state == outcome::invalid); // a line that never ends
  // A huge declared count with few bytes behind it waits for them instead of reserving room.
  CHECK(read_reply("*1000000\r\n:1\r\n").state == outcome::incomplete);
}
