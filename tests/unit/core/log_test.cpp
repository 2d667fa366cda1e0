#include "onbehalf/core/log.hpp"
#include "onbehalf/core/redact.hpp"
#include "onbehalf/core/secret.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <vector>

using namespace onbehalf;

namespace {

// Captures every line the global logger writes while it lives.
struct captured_log {
  std::vector<std::string> lines;
  log_level previous = logger::global().level();
  captured_log() {
    logger::global().set_level(log_level::trace);
    logger::global().set_sink([this](std::string_view line) { lines.emplace_back(line); });
  }
  ~captured_log() {
    logger::global().set_sink({});
    logger::global().set_level(previous);
  }
  std::string all() const {
    std::string out;
    for (const auto& l : lines) out += l;
    return out;
  }
};

const std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.QmFzZTY0U2lnbmF0dXJlVmFsdWVIZXJl";
const std::string client_secret = "q8Q~Zr3.kd82_LmnopQRstuVWxyz0123456789";
const std::string cookie_value = "CfDJ8Nq3zXk2Lr9Pw7Vt5Ys1Ua3Bc6De8Fg0Hj2Kl4Mn6Op8Qr";
const std::string refresh_token = "0.ARoAv4j5cvGGr0GRqy180BHbR1234refreshTokenBody5678";

} // namespace

TEST_CASE("log lines carry time, level, message and fields in logfmt") {
  captured_log log;
  log_info("Listening", {{"address", "127.0.0.1:5000"}, {"threads", 2}});
  REQUIRE(log.lines.size() == 1);
  CHECK(log.lines[0].find(" level=info msg=Listening address=127.0.0.1:5000 threads=2\n") != std::string::npos);
}

TEST_CASE("log lines below the configured level are not written") {
  captured_log log;
  logger::global().set_level(log_level::warning);
  log_info("quiet");
  log_warning("loud");
  REQUIRE(log.lines.size() == 1);
  CHECK(log.lines[0].find("loud") != std::string::npos);
}

TEST_CASE("log values with spaces, quotes or newlines are quoted so they cannot forge lines or fields") {
  captured_log log;
  log_info("two\nlines", {{"path", "/a b\" c=d"}});
  REQUIRE(log.lines.size() == 1);
  CHECK(log.lines[0].find("msg=\"two\\nlines\"") != std::string::npos);
  CHECK(log.lines[0].find("path=\"/a b\\\" c=d\"") != std::string::npos);
  CHECK(log.lines[0].find('\n') == log.lines[0].size() - 1);
}

TEST_CASE("no token, secret or cookie value reaches a log line through any log path") {
  redaction::register_secret(client_secret);
  captured_log log;
  const std::vector<std::string> dangerous = {
      jwt,
      "Bearer " + jwt,
      "Authorization: Bearer opaqueAccessToken12345",
      "client_secret=" + client_secret,
      client_secret,
      "Cookie: .onbehalf.session=" + cookie_value,
      cookie_value,
      "grant_type=refresh_token&refresh_token=" + refresh_token,
      R"({"refresh_token":")" + refresh_token + R"(","id_token":")" + jwt + "\"}",
  };
  for (const auto& value : dangerous) {
    for (auto level : {log_level::trace, log_level::debug, log_level::info, log_level::warning, log_level::error}) {
      logger::global().write(level, "message " + value);
      logger::global().write(level, "fields", {{"detail", value}, {"client_secret", value}, {"cookie", value}});
    }
    log_debug("debug " + value, {{"v", value}});
    log_info("info " + value, {{"v", value}});
    log_warning("warning " + value, {{"v", value}});
    log_error("error " + value, {{"v", value}});
    std::ostringstream streamed;
    streamed << secret(value);
    log_info(streamed.str());
  }
  auto everything = log.all();
  CHECK(log.lines.size() > 100);
  for (const auto& needle : {jwt, client_secret, cookie_value, refresh_token, std::string("opaqueAccessToken12345")}) {
    INFO("leaked: " << needle);
    CHECK(everything.find(needle) == std::string::npos);
  }
}

TEST_CASE("fields with credential names are masked whole even when the value looks harmless") {
  captured_log log;
  log_info("signing in", {{"client_secret", "abc"}, {"password", "letmein"}});
  CHECK(log.lines[0].find("abc") == std::string::npos);
  CHECK(log.lines[0].find("letmein") == std::string::npos);
}

TEST_CASE("ASP.NET Core log level names are understood") {
  CHECK(parse_log_level("Information") == log_level::info);
  CHECK(parse_log_level("Warning") == log_level::warning);
  CHECK_FALSE(parse_log_level("loud"));
}

TEST_CASE("what_of says what an exception says, and names one that says nothing") {
  CHECK(what_of(std::make_exception_ptr(std::runtime_error("the database is down"))) == "the database is down");
  CHECK(what_of(std::make_exception_ptr(42)) == "an exception that is not a std::exception");
  CHECK(what_of(nullptr) == "no exception");
}

TEST_CASE("log throttle: a message is written ten times in ten seconds, and its next line says how many were left out") {
  log_throttle throttle;
  auto start = log_throttle::clock::now();
  using namespace std::chrono_literals;
  std::size_t written = 0;
  for (int i = 0; i < 1000; ++i) written += throttle.admit("The API could not be reached", start + i * 1ms).write;
  CHECK(written == 10);
  auto next = throttle.admit("The API could not be reached", start + 10s);
  CHECK(next.write);
  CHECK(next.left_out == 990);
  CHECK(throttle.admit("The API could not be reached", start + 10s).left_out == 0);
  SECTION("another message has a budget of its own") { CHECK(throttle.admit("Redis is unreachable", start + 1s).write); }
}

TEST_CASE("log throttle: whatever the messages, it follows a bounded number, and a message that loses its slot has its count told") {
  log_throttle throttle(1);
  auto now = log_throttle::clock::now();
  for (int i = 0; i < 5; ++i) throttle.admit("flooded", now);
  std::uint64_t told = 0;
  for (int i = 0; i < 10'000; ++i) {
    auto d = throttle.admit("message " + std::to_string(i), now);
    CHECK(d.write); // each new message is written: a flood of distinct ones is not hidden
    if (d.displaced == "flooded") told += d.displaced_left_out;
  }
  CHECK(told == 4);
  CHECK(sizeof(throttle) < 64 * 1024); // a fixed table: no input makes it grow
}

TEST_CASE("the logger writes a warning repeated by the thousand a few times with the count left out, and leaves info lines alone") {
  captured_log log;
  for (int i = 0; i < 1000; ++i) log_warning("A session cookie could not be read", {{"cid", std::to_string(i)}});
  for (int i = 0; i < 20; ++i) log_info("Listening");
  log_warning("Redis is unreachable");
  std::size_t cookie_lines = 0, info_lines = 0;
  for (const auto& line : log.lines) {
    cookie_lines += line.find("A session cookie could not be read") != std::string::npos;
    info_lines += line.find("Listening") != std::string::npos;
  }
  CHECK(cookie_lines == 10);
  CHECK(info_lines == 20);
  CHECK(log.lines.back().find("Redis is unreachable") != std::string::npos);
  CHECK(log.lines[0].find("cid=0") != std::string::npos); // the first ones are written whole, for their ids
}

TEST_CASE("a new log sink starts with nothing held back") {
  {
    captured_log log;
    for (int i = 0; i < 50; ++i) log_warning("repeated");
  }
  captured_log log;
  log_warning("repeated");
  CHECK(log.lines.size() == 1);
}

TEST_CASE("the lines the throttle adds — a count, a displaced message — are redacted like any other") {
  captured_log log;
  for (int i = 0; i < 20; ++i) log_warning("refused " + jwt);
  for (int i = 0; i < 2000; ++i) log_warning("other message " + std::to_string(i)); // one takes the flooded message's slot
  CHECK(log.all().find("repeated_lines_left_out=10") != std::string::npos);
  CHECK(log.all().find(jwt) == std::string::npos);
}
