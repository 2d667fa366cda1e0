#include "onbehalf/json/mapping.hpp"

#include <boost/describe/class.hpp>

#include <catch2/catch.hpp>

using namespace onbehalf;

namespace sample {

enum class priority { low, normal, urgent };
BOOST_DESCRIBE_ENUM(priority, low, normal, urgent)

struct owner {
  std::string display_name;
  std::string mail;
};
BOOST_DESCRIBE_STRUCT(owner, (), (display_name, mail))

struct todo {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
  double estimate_hours = 0;
  priority level = priority::normal;
  std::optional<owner> assigned_to;
  std::vector<std::string> tags;
  std::map<std::string, int> counters;
};
BOOST_DESCRIBE_STRUCT(todo, (), (id, title, done, estimate_hours, level, assigned_to, tags, counters))

struct page {
  std::vector<todo> value;
  std::optional<std::string> next_link;
  static std::string json_name(std::string_view member) { return member == "next_link" ? "@odata.nextLink" : std::string(member); }
};
BOOST_DESCRIBE_STRUCT(page, (), (value, next_link))

struct loose {
  json::value anything;
  std::uint8_t small = 0;
};
BOOST_DESCRIBE_STRUCT(loose, (), (anything, small))

} // namespace sample

TEST_CASE("a described struct is read from JSON with every supported member kind") {
  auto t = json::read_as<sample::todo>(R"({"id": 7, "title": "Write tests", "done": true, "estimate_hours": 1.5, "level": "urgent",
      "assigned_to": {"display_name": "Ada", "mail": "ada@contoso.com"}, "tags": ["a", "b"], "counters": {"x": 1}})");
  REQUIRE(t);
  CHECK(t->id == 7);
  CHECK(t->title == "Write tests");
  CHECK(t->done);
  CHECK(t->estimate_hours == 1.5);
  CHECK(t->level == sample::priority::urgent);
  REQUIRE(t->assigned_to);
  CHECK(t->assigned_to->display_name == "Ada");
  CHECK(t->tags == std::vector<std::string>{"a", "b"});
  CHECK(t->counters.at("x") == 1);
}

TEST_CASE("a struct written to JSON reads back equal, and empty optionals are left out") {
  sample::todo t;
  t.id = 3;
  t.title = "Quote \" and newline \n and ünïcode";
  t.tags = {"x"};
  auto text = json::write(t);
  CHECK(text.find("assigned_to") == std::string::npos);
  auto back = json::read_as<sample::todo>(text);
  REQUIRE(back);
  CHECK(back->title == t.title);
  CHECK(back->tags == t.tags);
  CHECK(json::write(*back) == text);
}

TEST_CASE("camelCase JSON names fill snake_case members") {
  auto o = json::read_as<sample::owner>(R"({"displayName": "Grace", "MAIL": "grace@contoso.com"})");
  REQUIRE(o);
  CHECK(o->display_name == "Grace");
  CHECK(o->mail == "grace@contoso.com");
}

TEST_CASE("a JSON name that differs from the camelCase name only in case fills the member — a shorter one does not") {
  auto o = json::read_as<sample::owner>(R"({"DISPLAYNAME": "Grace"})");
  REQUIRE(o);
  CHECK(o->display_name == "Grace");
  auto partial = json::read_as<sample::owner>(R"({"display": "Grace", "displayNam": "Grace"})");
  REQUIRE(partial);
  CHECK(partial->display_name.empty());
}

TEST_CASE("a struct may name its members' JSON, as Graph's @odata.nextLink") {
  auto p = json::read_as<sample::page>(R"({"value": [{"id": 1}], "@odata.nextLink": "https://graph/next"})");
  REQUIRE(p);
  CHECK(p->value.size() == 1);
  CHECK(p->next_link == "https://graph/next");
  CHECK(json::write(*p).find("\"@odata.nextLink\"") != std::string::npos);
}

TEST_CASE("unknown members are ignored, and absent or null members keep their defaults") {
  auto t = json::read_as<sample::todo>(R"({"id": 1, "title": null, "unexpected": {"deep": [1, 2]}})");
  REQUIRE(t);
  CHECK(t->title.empty());
  CHECK(t->level == sample::priority::normal);
  CHECK_FALSE(t->assigned_to);
}

TEST_CASE("a value of the wrong kind is an error naming where it is") {
  auto t = json::read_as<std::vector<sample::todo>>(R"([{"id": 1}, {"id": 2}, {"id": 3, "done": "yes"}])");
  REQUIRE_FALSE(t);
  CHECK(t.error().path == "$[2].done");
  CHECK(t.error().message == "expected a boolean, found a string");
}

TEST_CASE("numbers that do not fit their member are errors, not silent truncation") {
  auto big = json::read_as<sample::loose>(R"({"small": 300})");
  REQUIRE_FALSE(big);
  CHECK(big.error().path == "$.small");
  auto fraction = json::read_as<sample::todo>(R"({"id": 1.5})");
  REQUIRE_FALSE(fraction);
  CHECK(fraction.error().message.find("expected an integer") == 0);
}

TEST_CASE("an unknown enumerator name is an error quoting it") {
  auto t = json::read_as<sample::todo>(R"({"level": "whenever"})");
  REQUIRE_FALSE(t);
  CHECK(t.error().to_string() == "$.level: 'whenever' is not one of the expected names");
}

TEST_CASE("malformed JSON is an error at the root, in plain words") {
  for (std::string_view text : {"", "{", "{\"id\": }", "[1, 2", "nul", "{\"a\":1}}"}) {
    INFO(text);
    auto t = json::read_as<sample::todo>(text);
    REQUIRE_FALSE(t);
    CHECK(t.error().path == "$");
  }
}

TEST_CASE("a document nested too deeply is refused") {
  std::string deep(300, '[');
  deep += std::string(300, ']');
  auto parsed = json::parse(deep);
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().find("deeper than") != std::string::npos);
}

TEST_CASE("free-form members keep any JSON as a value") {
  auto l = json::read_as<sample::loose>(R"({"anything": {"list": [true, null, -2, 18446744073709551615, 2.5e3, "s"]}})");
  REQUIRE(l);
  const auto* list = l->anything.find("list");
  REQUIRE(list);
  REQUIRE(list->if_array()->size() == 6);
  CHECK(*(*list->if_array())[3].if_unsigned() == 18446744073709551615ull);
  CHECK(json::serialize(l->anything) == R"({"list":[true,null,-2,18446744073709551615,2.5E3,"s"]})");
}

TEST_CASE("mapping a parsed value gives what reading the text gives, errors included") {
  for (std::string_view text :
       {R"({"id": 7, "title": "T", "done": true, "estimate_hours": 2, "level": "LOW", "tags": ["a"], "counters": {"x": 1, "y": 2}})",
        R"({"displayName": "not a todo", "done": false, "assigned_to": null})", R"({"id": 1, "tags": ["a", 3]})", R"({"counters": {"x": "one"}})",
        R"({"assigned_to": {"mail": 5}})", R"({"level": "someday"})", R"([1])", R"({"id": 1e300})"}) {
    INFO(text);
    auto parsed = json::parse(text);
    REQUIRE(parsed);
    auto from_text = json::read_as<sample::todo>(text);
    auto from_value = json::from_value<sample::todo>(*parsed);
    REQUIRE(bool(from_text) == bool(from_value));
    if (from_text) {
      CHECK(json::write(*from_text) == json::write(*from_value));
    } else {
      CHECK(from_text.error().to_string() == from_value.error().to_string());
    }
  }
}

TEST_CASE("a free-form member nested too deeply is refused, naming where it is") {
  std::string deep = R"({"anything": )" + std::string(300, '[') + std::string(300, ']') + "}";
  auto l = json::read_as<sample::loose>(deep);
  REQUIRE_FALSE(l);
  CHECK(l.error().path == "$.anything");
  CHECK(l.error().message.find("deeper than") != std::string::npos);
}

TEST_CASE("deep members a struct does not read are skipped, not refused") {
  std::string deep = R"({"unexpected": )" + std::string(300, '[') + std::string(300, ']') + R"(, "small": 4})";
  auto l = json::read_as<sample::loose>(deep);
  REQUIRE(l);
  CHECK(l->small == 4);
}

TEST_CASE("a document parsed while another is being read leaves the first one intact") {
  std::optional<std::string> inner_title;
  std::optional<std::string> outer_title;
  auto malformed = json::with_parsed(R"({"title": "outer"})", [&](json::node root) {
    auto inner = json::read_as<sample::todo>(R"({"title": "inner, a longer document than the outer one"})");
    if (inner) inner_title = inner->title;
    auto members = root.if_object();
    if (!members) return;
    for (const auto& [name, member] : *members)
      if (name == "title") outer_title = std::string(member.if_string().value_or("(not a string)"));
  });
  CHECK_FALSE(malformed);
  CHECK(inner_title == "inner, a longer document than the outer one");
  CHECK(outer_title == "outer");
}
