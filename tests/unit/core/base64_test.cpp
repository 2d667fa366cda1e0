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

TEST_CASE("base64 decodes every length of tail, and refuses stray bits in the last character") {
  CHECK(base64::decode("Zg") == std::string("f"));
  CHECK(base64::decode("Zm9vYg") == std::string("foob"));
  CHECK(base64::decode("Zm9vYmE") == std::string("fooba"));
  CHECK(base64::decode("Zm9vYmFy") == std::string("foobar"));
  CHECK(base64::decode("") == std::string());
  CHECK_FALSE(base64::decode("Zh"));       // 4 stray bits
  CHECK_FALSE(base64::decode("Zm9vYmF"));  // 2 stray bits
  CHECK_FALSE(base64::decode("Zm!vYmFy")); // a bad character in a full group
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  CHECK(base64::decode(base64::encode(all_bytes)) == all_bytes);
  CHECK(base64::decode(base64::encode(all_bytes, base64::alphabet::url), base64::alphabet::url) == all_bytes);
}
