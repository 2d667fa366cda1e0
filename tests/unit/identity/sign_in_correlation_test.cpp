#include "onbehalf/core/crypto.hpp"
#include "onbehalf/identity/sign_in_correlation.hpp"

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace onbehalf::identity;
using namespace std::chrono_literals;

namespace {
key_ring keys() {
  static const key_ring ring = *key_ring::make({{"k1", secret(crypto::random_bytes(32))}});
  return ring;
}
} // namespace

TEST_CASE("a sealed correlation opens with everything the callback needs") {
  auto c = new_sign_in_correlation("/emails?top=10", "b2c_1_susi");
  auto opened = open_correlation(keys(), seal_correlation(keys(), c), c.state);
  INFO((opened ? std::string() : opened.error()));
  REQUIRE(opened);
  CHECK(opened->nonce == c.nonce);
  CHECK(opened->code_verifier == c.code_verifier);
  CHECK(opened->return_url == "/emails?top=10");
  CHECK(opened->user_flow == "b2c_1_susi");
}

TEST_CASE("a challenge's scopes, fingerprint and the app's items travel in the correlation") {
  auto c = new_sign_in_correlation("/emails");
  c.scopes = {"mail.read", "api://todo/access_as_user"};
  c.challenge = "fingerprint-1";
  c.items = {{"consent_attempt", "1"}, {"origin", "send-mail"}};
  auto opened = open_correlation(keys(), seal_correlation(keys(), c), c.state);
  REQUIRE(opened);
  CHECK(opened->scopes == c.scopes);
  CHECK(opened->challenge == "fingerprint-1");
  CHECK(opened->items == c.items);
}

TEST_CASE("every sign-in attempt has its own state, nonce and verifier, and its slot's cookie name") {
  auto now = std::chrono::system_clock::now();
  auto a = new_sign_in_correlation("/", {}, now, 0);
  auto b = new_sign_in_correlation("/", {}, now, 1);
  auto a_again = new_sign_in_correlation("/", {}, now, 0);
  CHECK(a.state != b.state);
  CHECK(a.state != a_again.state);
  CHECK(a.nonce != b.nonce);
  CHECK(a.code_verifier != b.code_verifier);
  CHECK(correlation_cookie_name(a.state) == ".onbehalf.correlation.0");
  CHECK(correlation_cookie_name(b.state) == ".onbehalf.correlation.1");
  CHECK(correlation_cookie_name(a_again.state) == correlation_cookie_name(a.state)); // the newer takes the older's place
  CHECK(correlation_cookie_name(new_sign_in_correlation("/", {}, now, sign_in_slots + 2).state) == ".onbehalf.correlation.2");
}

TEST_CASE("a state that names no slot maps to a cookie no sign-in writes") {
  for (std::string_view state : {"", "9.abc", "x.abc", "0", "0x", "-1.abc"}) {
    INFO(state);
    auto name = correlation_cookie_name(state);
    CHECK(name.starts_with(".onbehalf.correlation."));
    CHECK(name.size() > std::string_view(".onbehalf.correlation.0").size());
  }
}

TEST_CASE("the next sign-in's slot comes from the browser's counter, and anything odd there is slot 0") {
  CHECK(next_sign_in_slot(std::nullopt) == 0);
  CHECK(next_sign_in_slot("5") == 5);
  CHECK(next_sign_in_slot("7") == 7);
  for (std::string_view odd : {"", "8", "9", "55", "-1", "a", "5 "}) {
    INFO(odd);
    CHECK(next_sign_in_slot(odd) == 0);
  }
}

TEST_CASE("a correlation does not open for another state") {
  auto c = new_sign_in_correlation("/");
  auto opened = open_correlation(keys(), seal_correlation(keys(), c), "forged-state");
  REQUIRE_FALSE(opened);
  CHECK(opened.error().find("state") != std::string::npos);
}

TEST_CASE("a correlation older than its lifetime is refused") {
  auto c = new_sign_in_correlation("/", {}, std::chrono::system_clock::now() - 16min);
  CHECK_FALSE(open_correlation(keys(), seal_correlation(keys(), c), c.state));
}

TEST_CASE("a tampered correlation cookie is refused") {
  auto c = new_sign_in_correlation("/");
  auto sealed = seal_correlation(keys(), c);
  sealed[sealed.size() - 3] = sealed[sealed.size() - 3] == 'A' ? 'B' : 'A';
  auto opened = open_correlation(keys(), sealed, c.state);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().find("tampered") != std::string::npos);
}

TEST_CASE("a value sealed for another purpose is not a correlation") {
  auto c = new_sign_in_correlation("/");
  CHECK_FALSE(open_correlation(keys(), keys().seal(R"({"s":")" + c.state + "\"}", "session"), c.state));
}
