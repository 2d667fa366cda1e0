#include "onbehalf/json/node.hpp"

#include "find_named.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace onbehalf::json {

namespace dom = simdjson::dom;

// A node, and its array and object views, carry simdjson's objects as bytes: each is a document
// pointer and a tape index, copied freely.
static_assert(sizeof(dom::element) == sizeof(detail::opaque16) && std::is_trivially_copyable_v<dom::element>);
static_assert(sizeof(dom::array) == sizeof(detail::opaque16) && std::is_trivially_copyable_v<dom::array>);
static_assert(sizeof(dom::object) == sizeof(detail::opaque16) && std::is_trivially_copyable_v<dom::object>);
static_assert(sizeof(dom::array::iterator) == sizeof(detail::opaque16) && std::is_trivially_copyable_v<dom::array::iterator>);
static_assert(sizeof(dom::object::iterator) == sizeof(detail::opaque16) && std::is_trivially_copyable_v<dom::object::iterator>);

namespace {

template <class T>
T from_bytes(const detail::opaque16& o) noexcept {
  T t;
  std::memcpy(static_cast<void*>(&t), o.bytes, sizeof t);
  return t;
}
template <class T>
detail::opaque16 to_bytes(const T& t) noexcept {
  detail::opaque16 o;
  std::memcpy(o.bytes, static_cast<const void*>(&t), sizeof t);
  return o;
}

} // namespace

struct node_access {
  static node wrap(dom::element e) noexcept {
    node n;
    n.element_ = to_bytes(e);
    return n;
  }
  static dom::element element(const node& n) noexcept { return from_bytes<dom::element>(n.element_); }
};

namespace {

dom::element element_of(const node& n) noexcept { return node_access::element(n); }

} // namespace

value::kind node::type() const noexcept {
  switch (element_of(*this).type()) {
  case dom::element_type::NULL_VALUE: return value::kind::null;
  case dom::element_type::BOOL: return value::kind::boolean;
  case dom::element_type::INT64: return value::kind::integer;
  case dom::element_type::UINT64: return value::kind::unsigned_integer;
  case dom::element_type::DOUBLE: return value::kind::number;
  case dom::element_type::STRING: return value::kind::string;
  case dom::element_type::ARRAY: return value::kind::array;
  case dom::element_type::OBJECT: return value::kind::object;
  }
  return value::kind::null;
}

namespace {

// Each accessor answers only for its own kind, as json::value's do: an integer is not a double here.
template <class T>
std::optional<T> as(const node& n, dom::element_type kind) noexcept {
  auto e = element_of(n);
  if (e.type() != kind) return std::nullopt;
  return e.get<T>().value_unsafe();
}

} // namespace

std::optional<bool> node::if_bool() const noexcept { return as<bool>(*this, dom::element_type::BOOL); }
std::optional<std::int64_t> node::if_integer() const noexcept { return as<std::int64_t>(*this, dom::element_type::INT64); }
std::optional<std::uint64_t> node::if_unsigned() const noexcept { return as<std::uint64_t>(*this, dom::element_type::UINT64); }
std::optional<double> node::if_number() const noexcept { return as<double>(*this, dom::element_type::DOUBLE); }
std::optional<std::string_view> node::if_string() const noexcept { return as<std::string_view>(*this, dom::element_type::STRING); }
std::optional<node_array> node::if_array() const noexcept {
  auto a = as<dom::array>(*this, dom::element_type::ARRAY);
  if (!a) return std::nullopt;
  return node_array(to_bytes(*a));
}
std::optional<node_object> node::if_object() const noexcept {
  auto o = as<dom::object>(*this, dom::element_type::OBJECT);
  if (!o) return std::nullopt;
  return node_object(to_bytes(*o));
}

namespace {

// The simdjson types behind each range.
template <class Item>
struct dom_of {
  using container = dom::array;
  using iterator = dom::array::iterator;
};
template <>
struct dom_of<node_member> {
  using container = dom::object;
  using iterator = dom::object::iterator;
};

} // namespace

template <>
node detail::node_range<node>::iterator::operator*() const noexcept {
  return node_access::wrap(*from_bytes<dom::array::iterator>(at_));
}
template <>
node_member detail::node_range<node_member>::iterator::operator*() const noexcept {
  auto it = from_bytes<dom::object::iterator>(at_);
  return {it.key(), node_access::wrap(it.value())};
}
template <class Item>
typename detail::node_range<Item>::iterator& detail::node_range<Item>::iterator::operator++() noexcept {
  auto it = from_bytes<typename dom_of<Item>::iterator>(at_);
  at_ = to_bytes(++it);
  return *this;
}
template <class Item>
bool detail::node_range<Item>::iterator::operator!=(const iterator& other) const noexcept {
  return from_bytes<typename dom_of<Item>::iterator>(at_) != from_bytes<typename dom_of<Item>::iterator>(other.at_);
}
template <class Item>
typename detail::node_range<Item>::iterator detail::node_range<Item>::begin() const noexcept {
  return iterator(to_bytes(from_bytes<typename dom_of<Item>::container>(container_).begin()));
}
template <class Item>
typename detail::node_range<Item>::iterator detail::node_range<Item>::end() const noexcept {
  return iterator(to_bytes(from_bytes<typename dom_of<Item>::container>(container_).end()));
}
template class detail::node_range<node>;
template class detail::node_range<node_member>;

std::size_t node_array::size_hint() const noexcept { return from_bytes<dom::array>(container_).size(); }

// Searched on simdjson's own object, whose iteration inlines: a struct's every member is looked up
// this way on every read.
std::optional<node> detail::find_member(const node_object& members, std::string_view json_name, std::string_view camel_name) {
  return find_named<std::optional<node>>(from_bytes<dom::object>(members.container_), json_name, camel_name,
                                         [](dom::element e) { return node_access::wrap(e); });
}

namespace {

struct builder {
  std::size_t max_depth;
  std::string problem;

  bool build(dom::element e, value& out, std::size_t depth) {
    if (depth > max_depth) {
      problem = "the JSON is refused: it nests deeper than " + std::to_string(max_depth) + " levels";
      return false;
    }
    switch (e.type()) {
    case dom::element_type::NULL_VALUE: out = nullptr; return true;
    case dom::element_type::BOOL: out = bool(e.get_bool().value_unsafe()); return true;
    case dom::element_type::INT64: out = e.get_int64().value_unsafe(); return true;
    case dom::element_type::UINT64: out = e.get_uint64().value_unsafe(); return true;
    case dom::element_type::DOUBLE: out = e.get_double().value_unsafe(); return true;
    case dom::element_type::STRING: out = std::string_view(e.get_string().value_unsafe()); return true;
    case dom::element_type::ARRAY: {
      json::array items;
      dom::array source = e.get_array().value_unsafe();
      items.reserve(std::min<std::size_t>(source.size(), 1024)); // simdjson's count stops at 2^24 - 1; past 1024 the vector grows as it fills
      for (dom::element item : source) {
        items.emplace_back();
        if (!build(item, items.back(), depth + 1)) return false;
      }
      out = std::move(items);
      return true;
    }
    case dom::element_type::OBJECT: {
      json::object members;
      dom::object source = e.get_object().value_unsafe();
      members.reserve(std::min<std::size_t>(source.size(), 1024));
      for (dom::key_value_pair member : source) {
        members.emplace_back(std::string(member.key), value());
        if (!build(member.value, members.back().second, depth + 1)) return false;
      }
      out = std::move(members);
      return true;
    }
    }
    problem = "the JSON is refused: it holds a value of an unknown kind";
    return false;
  }
};

} // namespace

result<value, std::string> node::copy(std::size_t max_depth) const {
  builder b{max_depth, {}};
  value out;
  if (!b.build(element_of(*this), out, 0)) return failure{std::move(b.problem)};
  return out;
}

std::optional<std::string> with_parsed(std::string_view text, callback_ref<void(node)> read) {
  // One parser per thread keeps its buffers between documents, including the padded one it
  // copies the text into: the copy needs no allocation once that buffer has grown. A parse
  // inside `read` (which would overwrite the document `read` is given) gets a parser of its own.
  thread_local dom::parser reused;
  thread_local bool in_use = false;
  std::unique_ptr<dom::parser> own;
  dom::parser* parser = &reused;
  if (in_use) parser = (own = std::make_unique<dom::parser>()).get();
  dom::element root;
  if (auto code = parser->parse(text.data(), text.size(), true).get(root)) {
    if (code == simdjson::EMPTY) return std::string("the body is empty, not JSON");
    return std::string("the body is not valid JSON (") + simdjson::error_message(code) + ")";
  }
  bool outer = !own;
  if (outer) in_use = true;
  struct release {
    bool outer;
    ~release() {
      if (outer) in_use = false;
    }
  } on_exit{outer};
  read(node_access::wrap(root));
  return std::nullopt;
}

result<value, std::string> parse(std::string_view text, parse_limits limits) {
  result<value, std::string> out = failure{std::string()};
  auto malformed = with_parsed(text, [&](node root) { out = root.copy(limits.max_depth); });
  if (malformed) return failure{std::move(*malformed)};
  return out;
}

} // namespace onbehalf::json
