#include "onbehalf/http/principal.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf::http;

namespace {
principal ada() {
  return {"oid.tid",
          {{"name", "Ada Lovelace"},
           {"preferred_username", "ada@contoso.example"},
           {"roles", "Reader"},
           {"roles", "Writer"},
           {"scp", "access_as_user Todo.ReadWrite"}}};
}
} // namespace

TEST_CASE("an array claim gives one value per element, and each counts") {
  CHECK(ada().has_claim("roles", "Reader"));
  CHECK(ada().has_claim("roles", "Writer"));
  CHECK_FALSE(ada().has_claim("roles", "Admin"));
}

TEST_CASE("scp is read scope by scope") {
  CHECK(ada().has_claim("scp", "Todo.ReadWrite"));
  CHECK_FALSE(ada().has_claim("scp", "Todo"));
}

TEST_CASE("a claim requirement holds when any one of its values is present") {
  CHECK(claim_requirement{"roles", {"Admin", "Writer"}}.satisfied_by(ada()));
  CHECK_FALSE(claim_requirement{"roles", {"Admin"}}.satisfied_by(ada()));
  CHECK_FALSE(claim_requirement{"groups", {"x"}}.satisfied_by(ada()));
}

TEST_CASE("the display name falls back from name to the user name to the account id") {
  CHECK(ada().display_name() == "Ada Lovelace");
  CHECK(principal{"h", {{"preferred_username", "u@x"}}}.display_name() == "u@x");
  CHECK(principal{"h", {}}.display_name() == "h");
}
