#include "onbehalf/core/text.hpp"

#include <map>

#include <catch2/catch.hpp>

using namespace onbehalf;
using namespace std::string_view_literals;

TEST_CASE("html_escape replaces the five characters that could end text or an attribute, and keeps the rest") {
  CHECK(text::html_escape("") == "");
  CHECK(text::html_escape("plain text, é and 日本") == "plain text, é and 日本");
  CHECK(text::html_escape("<script>alert('x') && \"y\"</script>") == "&lt;script&gt;alert(&#39;x&#39;) &amp;&amp; &quot;y&quot;&lt;/script&gt;");
  CHECK(text::html_escape("&") == "&amp;");
  CHECK(text::html_escape("a&b") == "a&amp;b");
}

TEST_CASE("split keeps empty parts, so a separator at either end is seen") {
  CHECK(text::split("a.b.c"sv, '.') == std::vector<std::string_view>{"a", "b", "c"});
  CHECK(text::split(".a."sv, '.') == std::vector<std::string_view>{"", "a", ""});
  CHECK(text::split(""sv, '.') == std::vector<std::string_view>{""});
  CHECK(text::split("a;b;c;d;e;f"sv, ';').size() == 6);
}

TEST_CASE("next_part walks the parts split gives, one at a time") {
  std::string_view rest = ".a..b";
  std::vector<std::string_view> parts;
  do parts.push_back(text::next_part(rest, '.'));
  while (!rest.empty());
  CHECK(parts == std::vector<std::string_view>{"", "a", "", "b"});
  std::string_view none = "whole";
  CHECK(text::next_part(none, '.') == "whole");
  CHECK(none.empty());
}

TEST_CASE("iless orders names without case, so a map finds any spelling") {
  std::map<std::string, int, text::iless> apis{{"MyAPI", 1}, {"graph", 2}};
  CHECK(apis.find("myapi") != apis.end());
  CHECK(apis.find("GRAPH")->second == 2);
  CHECK(apis.find("MyAPIs") == apis.end());
  CHECK_FALSE(text::iless{}("abc", "ABC"));
  CHECK_FALSE(text::iless{}("ABC", "abc"));
  CHECK(text::iless{}("abc", "ABD"));
}

TEST_CASE("html_escape finds every special character wherever it falls in a long value") {
  auto reference = [](std::string_view in) {
    std::string out;
    for (char c : in) {
      switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
      }
    }
    return out;
  };
  for (std::size_t length : {15, 16, 17, 31, 32, 33, 48, 70})
    for (std::size_t at = 0; at < length; ++at)
      for (char c : std::string_view("&<>\"'")) {
        std::string text(length, 'x');
        text[at] = c;
        if (at + 17 < length) text[at + 17] = '<';
        INFO(text);
        CHECK(text::html_escape(text) == reference(text));
      }
}
