#include "onbehalf/core/base64.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;

TEST_CASE("base64 encodes the RFC 4648 test vectors") {
  CHECK(base64::encode("") == "");
  CHECK(base64::encode("f") == "Zg==");
  CHECK(base64::encode("fo") == "Zm8=");
  CHECK(base64::encode("foo") == "Zm9v");
  CHECK(base64::encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64url uses - and _ and no padding") {
  CHECK(base64::encode("\xfb\xff", base64::alphabet::url) == "-_8");
  CHECK(base64::decode("-_8", base64::alphabet::url) == std::string("\xfb\xff"));
}

TEST_CASE("base64 decodes with or without padding") {
  CHECK(base64::decode("Zm8=") == std::string("fo"));
  CHECK(base64::decode("Zm8") == std::string("fo"));
}

TEST_CASE("base64 rejects characters outside its alphabet and impossible lengths") {
  CHECK_FALSE(base64::decode("Zm9v!"));
  CHECK_FALSE(base64::decode("-_8", base64::alphabet::standard));
  CHECK_FALSE(base64::decode("Z"));
  CHECK_FALSE(base64::decode("Zm9=")); // non-zero leftover bits
}
