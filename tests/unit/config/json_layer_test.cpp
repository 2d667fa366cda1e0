#include "onbehalf/config/configuration.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace onbehalf::config;

namespace {
configuration parse_ok(std::string_view json) {
  configuration c;
  auto r = parse_json_layer(json, "appsettings.json", c);
  INFO((r ? std::string() : r.error().to_string()));
  REQUIRE(r);
  return c;
}

problem parse_error(std::string_view json) {
  configuration c;
  auto r = parse_json_layer(json, "appsettings.json", c);
  REQUIRE_FALSE(r);
  return r.error();
}
} // namespace

TEST_CASE("nested objects become colon-separated keys") {
  auto c = parse_ok(R"({"AzureAd": {"ClientId": "abc", "Instance": "https://login.example/"}})");
  REQUIRE(c.find("AzureAd:ClientId"));
  CHECK(c.find("AzureAd:ClientId")->value == "abc");
}

TEST_CASE("keys are found without regard to case") {
  auto c = parse_ok(R"({"AzureAd": {"ClientId": "abc"}})");
  REQUIRE(c.find("azuread:clientid"));
  CHECK(c.find("AZUREAD:CLIENTID")->value == "abc");
}

TEST_CASE("arrays become numeric indexes listed in numeric order") {
  auto c = parse_ok(R"({"S": ["a","b","c","d","e","f","g","h","i","j","k"]})");
  CHECK(c.find("S:10")->value == "k");
  auto names = c.children("S");
  REQUIRE(names.size() == 11);
  CHECK(names[2] == "2");
  CHECK(names[10] == "10");
}

TEST_CASE("a section's children are listed once each, whatever sorts between their entries") {
  // "scopes-x" sorts between "scopes" and "scopes:0", so one name's entries are not adjacent.
  auto c = parse_ok(R"({"Api": {"Scopes": "a", "Scopes-x": "b", "SCOPES:0": "c", "Name": {"Deep": {"Deeper": 1}}}})");
  c.set("api:scopes:1", "d", {"environment variable api__scopes__1"});
  auto names = c.children("API");
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"Name", "Scopes", "Scopes-x"});
  CHECK(c.children("Api:Scopes") == std::vector<std::string>{"0", "1"});
  CHECK(c.children("Api:Name") == std::vector<std::string>{"Deep"});
  CHECK(c.children("Api:Missing").empty());
}

TEST_CASE("numbers, booleans and null keep ASP.NET Core's string forms") {
  auto c = parse_ok(R"({"Port": 5001, "Flag": true, "Ratio": 1.5e3, "Nothing": null})");
  CHECK(c.find("Port")->value == "5001");
  CHECK(c.find("Flag")->value == "true");
  CHECK(c.find("Ratio")->value == "1.5e3");
  CHECK(c.find("Nothing")->value.empty());
}

TEST_CASE("each value remembers its file, line and column") {
  auto c = parse_ok("{\n  \"AzureAd\": {\n    \"ClientId\": \"abc\"\n  }\n}");
  auto* e = c.find("AzureAd:ClientId");
  REQUIRE(e);
  CHECK(e->source.to_string() == "appsettings.json:3:17");
}

TEST_CASE("comments and trailing commas are accepted as ASP.NET Core accepts them") {
  auto c = parse_ok(R"({
    // the app registration
    "AzureAd": { "ClientId": "a//b", /* not a comment inside */ "Domain": "x,}", },
    "List": [1, 2,],
  })");
  CHECK(c.find("AzureAd:ClientId")->value == "a//b");
  CHECK(c.find("AzureAd:Domain")->value == "x,}");
  CHECK(c.children("List").size() == 2);
}

TEST_CASE("a missing comma is reported with the line and column where parsing stopped") {
  auto p = parse_error("{\n  \"A\": 1\n  \"B\": 2\n}");
  CHECK(p.source.origin == "appsettings.json");
  CHECK(p.source.line == 3);
  CHECK(p.message.find("malformed JSON") != std::string::npos);
}

TEST_CASE("an unclosed string is reported as malformed JSON") {
  auto p = parse_error("{\"A\": \"never closed}");
  CHECK(p.message.find("malformed JSON") != std::string::npos);
}

TEST_CASE("a top level that is not an object is refused") {
  auto p = parse_error("[1, 2]");
  CHECK(p.message.find("top level must be a JSON object") != std::string::npos);
}

TEST_CASE("text after the closing brace is refused") {
  auto p = parse_error("{\"A\": 1} {\"B\": 2}");
  CHECK(p.message.find("after the closing") != std::string::npos);
}

TEST_CASE("a key written twice in one object is refused with its location") {
  auto p = parse_error("{\n\"AzureAd\": {\"ClientId\": \"a\",\n \"clientid\": \"b\"}}");
  CHECK(p.key == "AzureAd:clientid");
  CHECK(p.source.line == 3);
  CHECK(p.message.find("twice") != std::string::npos);
}

TEST_CASE("an empty file is refused with a hint") {
  auto p = parse_error("");
  CHECK(p.message.find("empty") != std::string::npos);
}

TEST_CASE("a file that fails half-way adds nothing to the configuration") {
  configuration c;
  c.set("A", "before", {"earlier.json"});
  auto r = parse_json_layer(R"({"A": "after", "B": tru})", "appsettings.json", c);
  REQUIRE_FALSE(r);
  CHECK(c.find("A")->value == "before");
  CHECK_FALSE(c.find("B"));
}
