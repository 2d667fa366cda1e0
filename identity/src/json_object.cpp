#include "onbehalf/identity/json_object.hpp"

#include "onbehalf/core/text.hpp"

#include <simdjson.h>

namespace onbehalf::identity {

namespace dom = simdjson::dom;

struct json_object::state {
  dom::parser parser;
  dom::element root;
};

namespace {

const dom::element& element_of(const void* p) { return *static_cast<const dom::element*>(p); }

std::optional<dom::element> member(const void* object, std::string_view key) {
  dom::object o;
  if (element_of(object).get_object().get(o)) return std::nullopt;
  dom::element value;
  if (o.at_key(key).get(value)) return std::nullopt;
  if (value.is_null()) return std::nullopt;
  return value;
}

} // namespace

result<json_object, std::string> json_object::parse(std::string_view text) {
  // simdjson copies the text with memcpy, which must not be given a default string_view's null data.
  if (text.empty()) return failure{std::string("the document is empty")};
  auto s = std::make_shared<state>();
  if (auto code = s->parser.parse(text.data(), text.size()).get(s->root)) {
    if (code == simdjson::EMPTY) return failure{std::string("the document is empty")};
    return failure{std::string("the document is not valid JSON (") + simdjson::error_message(code) + ")"};
  }
  if (!s->root.is_object()) return failure{std::string("the document is not a JSON object")};
  json_object o;
  o.state_ = s;
  o.element_ = &s->root;
  return o;
}

bool json_object::has(std::string_view key) const { return member(element_, key).has_value(); }

std::optional<std::string> json_object::string(std::string_view key) const {
  auto v = member(element_, key);
  std::string_view s;
  if (!v || v->get_string().get(s)) return std::nullopt;
  return std::string(s);
}

std::optional<std::int64_t> json_object::integer(std::string_view key) const {
  auto v = member(element_, key);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  if (!v->get_int64().get(n)) return n;
  double d = 0;
  if (!v->get_double().get(d) && d >= -9.2e18 && d <= 9.2e18) return static_cast<std::int64_t>(d); // exp as 1.7e9
  std::string_view s;
  if (!v->get_string().get(s))
    if (auto parsed = text::parse_unsigned(s); parsed && *parsed <= static_cast<unsigned long long>(INT64_MAX))
      return static_cast<std::int64_t>(*parsed);
  return std::nullopt;
}

std::optional<bool> json_object::boolean(std::string_view key) const {
  auto v = member(element_, key);
  bool b = false;
  if (!v || v->get_bool().get(b)) return std::nullopt;
  return b;
}

std::optional<std::vector<std::string>> json_object::strings(std::string_view key) const {
  auto v = member(element_, key);
  if (!v) return std::nullopt;
  std::string_view single;
  if (!v->get_string().get(single)) return std::vector<std::string>{std::string(single)};
  dom::array array;
  if (v->get_array().get(array)) return std::nullopt;
  std::vector<std::string> out;
  for (auto item : array) {
    std::string_view s;
    if (item.get_string().get(s)) return std::nullopt;
    out.emplace_back(s);
  }
  return out;
}

std::optional<std::vector<std::int64_t>> json_object::integers(std::string_view key) const {
  auto v = member(element_, key);
  dom::array array;
  if (!v || v->get_array().get(array)) return std::nullopt;
  std::vector<std::int64_t> out;
  for (auto item : array) {
    std::int64_t n = 0;
    if (item.get_int64().get(n)) return std::nullopt;
    out.push_back(n);
  }
  return out;
}

std::optional<json_object> json_object::object(std::string_view key) const {
  auto v = member(element_, key);
  if (!v || !v->is_object()) return std::nullopt;
  json_object o;
  o.state_ = state_;
  auto stored = std::make_shared<dom::element>(*v);
  o.element_ = stored.get();
  o.element_storage_ = stored;
  return o;
}

std::optional<std::vector<json_object>> json_object::objects(std::string_view key) const {
  auto v = member(element_, key);
  dom::array array;
  if (!v || v->get_array().get(array)) return std::nullopt;
  std::vector<json_object> out;
  for (auto item : array) {
    if (!item.is_object()) return std::nullopt;
    json_object o;
    o.state_ = state_;
    auto stored = std::make_shared<dom::element>(item);
    o.element_ = stored.get();
    o.element_storage_ = stored;
    out.push_back(std::move(o));
  }
  return out;
}

bool json_object::wrong_type(std::string_view key, std::string_view kind) const {
  auto v = member(element_, key);
  if (!v) return false;
  if (kind == "string") return !v->is_string();
  if (kind == "integer") return !integer(key).has_value();
  if (kind == "boolean") return !v->is_bool();
  if (kind == "array") return !v->is_array();
  if (kind == "object") return !v->is_object();
  return true;
}

std::vector<std::string> json_object::keys() const {
  std::vector<std::string> out;
  dom::object o;
  if (element_of(element_).get_object().get(o)) return out;
  for (auto field : o) out.emplace_back(field.key);
  return out;
}

std::optional<std::string> json_object::raw(std::string_view key) const {
  auto v = member(element_, key);
  if (!v) return std::nullopt;
  return simdjson::minify(*v);
}

} // namespace onbehalf::identity
