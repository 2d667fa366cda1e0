#include "onbehalf/core/redact.hpp"

#include <catch2/catch.hpp>

using onbehalf::redaction::redact;

namespace {
const std::string jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsImF1ZCI6ImFwaSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
}

TEST_CASE("redact masks a JWT wherever it stands") {
  auto out = redact("token was " + jwt + " for alice");
  CHECK(out.find("eyJ") == std::string::npos);
  CHECK(out.find("for alice") != std::string::npos);
}

TEST_CASE("redact masks bearer and basic credentials") {
  CHECK(redact("Authorization: Bearer abc.def-ghi").find("abc.def-ghi") == std::string::npos);
  CHECK(redact("sent bearer opaque-token-value now").find("opaque-token-value") == std::string::npos);
  CHECK(redact("Basic dXNlcjpwYXNz").find("dXNlcjpwYXNz") == std::string::npos);
}

TEST_CASE("redact masks credential parameters in query strings, forms and JSON") {
  CHECK(redact("grant_type=refresh_token&refresh_token=R1&client_secret=S3cr3t").find("S3cr3t") == std::string::npos);
  CHECK(redact("grant_type=refresh_token&refresh_token=R1abc&x=1").find("R1abc") == std::string::npos);
  CHECK(redact(R"({"access_token":"opaque123","expires_in":3599})").find("opaque123") == std::string::npos);
  CHECK(redact("/signin-oidc?code=0.AAAAsecretcode&state=s").find("AAAAsecretcode") == std::string::npos);
}

TEST_CASE("redact keeps words that merely end like a credential name") { CHECK(redact("barcode=123") == "barcode=123"); }

TEST_CASE("redact masks cookie headers to the end of the line") {
  auto out = redact("Cookie: .onbehalf.session=abc; other=def\nnext line");
  CHECK(out.find("abc") == std::string::npos);
  CHECK(out.find("def") == std::string::npos);
  CHECK(out.find("next line") != std::string::npos);
}

TEST_CASE("redact masks long random-looking strings such as cookie values and secrets") {
  CHECK(redact("value Xy7Qk2LmN9pR4sT6vW8zA1bC3dE5fG7hJ9kL end").find("Xy7Qk2") == std::string::npos);
}

TEST_CASE("redact leaves ordinary log text alone") {
  std::string line = "Listening for HTTP requests on 127.0.0.1:5000 with 2 threads (GET /healthz)";
  CHECK(redact(line) == line);
}

TEST_CASE("redact masks a registered secret however short and plain it looks") {
  onbehalf::redaction::register_secret("hunter2x");
  CHECK(redact("the password is hunter2x.") == "the password is [redacted].");
}

TEST_CASE("redact masks a registered secret whole when it holds a shorter registered one") {
  // Registered shorter first, and twice: the longer is still masked whole, not around the shorter.
  onbehalf::redaction::register_secret("s3cr");
  onbehalf::redaction::register_secret("s3cr");
  onbehalf::redaction::register_secret("pre-s3cr-post");
  CHECK(redact("value pre-s3cr-post and s3cr") == "value [redacted] and [redacted]");
}

TEST_CASE("sensitive names are recognised without regard to case") {
  using onbehalf::redaction::is_sensitive_name;
  CHECK(is_sensitive_name("ClientSecret"));
  CHECK(is_sensitive_name("CertificatePassword"));
  CHECK(is_sensitive_name("refresh_token"));
  CHECK(is_sensitive_name("Key"));
  CHECK_FALSE(is_sensitive_name("ClientId"));
  CHECK_FALSE(is_sensitive_name("BaseUrl"));
}

TEST_CASE("redact masks a whole quoted credential, spaces and semicolons included") {
  auto json = redact(R"({"authorization":"Bearer opaque-token-value"})");
  CHECK(json.find("opaque-token-value") == std::string::npos);
  CHECK(json.find("Bearer") == std::string::npos);
  auto quoted_form = redact(R"(authorization="Basic dXNlcjpwYXNz")");
  CHECK(quoted_form.find("dXNlcjpwYXNz") == std::string::npos);
  auto cookies = redact(R"({"cookie":"a=first; session=second-secret-value"})");
  CHECK(cookies.find("second-secret-value") == std::string::npos);
}

TEST_CASE("redact treats a header as a header even when an earlier line holds a quote") {
  auto out = redact("x=\"y\"\nAuthorization: Bearer abc-def");
  CHECK(out.find("abc-def") == std::string::npos);
  auto same_line = redact("x=\"y\" Authorization: Bearer abc-def");
  CHECK(same_line.find("abc-def") == std::string::npos);
}

TEST_CASE("redact masks the credential after a scheme given as a parameter value") {
  CHECK(redact("authorization=Bearer abc-def-ghi").find("abc-def-ghi") == std::string::npos);
}
