// One value inside a document simdjson has parsed, read where it lies: what read_as<T>() maps
// from, so an API's body becomes the caller's struct with no json::value built in between (that
// copy of every member name and string was most of the cost of reading a body).
//
// A node is valid only during the call it is given to (see with_parsed): the document belongs to
// the thread's parser and is overwritten by the next parse. simdjson stays out of this header; a
// node carries simdjson's 16-byte element as bytes. Name the view before looping over it:
//   if (auto items = n.if_array()) for (auto item : *items) ...
// (`for (auto item : *n.if_array())` would loop over an optional already destroyed: C++20 does
// not keep a temporary in a range-for's expression alive).
#pragma once

#include "onbehalf/json/value.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace onbehalf::json {

class node;

namespace detail {
// simdjson's element, array iterator and object iterator are each a document pointer and an index.
struct opaque16 {
  alignas(8) unsigned char bytes[16] = {}; // a default-made view holds zeros, not stray bytes
};
} // namespace detail

struct node_member;
class node_object;

namespace detail {
std::optional<node> find_member(const node_object& members, std::string_view json_name, std::string_view camel_name);
} // namespace detail

namespace detail {

/// The items of an array (Item = node) or the members of an object (Item = node_member), in
/// document order.
template <class Item>
class node_range {
public:
  class iterator {
  public:
    explicit iterator(opaque16 at) noexcept : at_(at) {}
    Item operator*() const noexcept;
    iterator& operator++() noexcept;
    bool operator!=(const iterator& other) const noexcept;

  private:
    opaque16 at_;
  };
  iterator begin() const noexcept;
  iterator end() const noexcept;

protected:
  explicit node_range(opaque16 container) noexcept : container_(container) {}
  opaque16 container_;
};

} // namespace detail

/// An array's items, in order.
class node_array : public detail::node_range<node> {
public:
  /// The item count; simdjson stops counting at 2^24 - 1, so use it as a hint only.
  std::size_t size_hint() const noexcept;

private:
  friend class node;
  using node_range::node_range;
};

/// An object's members, in document order.
class node_object : public detail::node_range<node_member> {
  friend class node;
  friend std::optional<node> detail::find_member(const node_object&, std::string_view, std::string_view);
  using node_range::node_range;
};

class node {
public:
  value::kind type() const noexcept;
  bool is_null() const noexcept { return type() == value::kind::null; }
  std::optional<bool> if_bool() const noexcept;
  std::optional<std::int64_t> if_integer() const noexcept;
  std::optional<std::uint64_t> if_unsigned() const noexcept;
  std::optional<double> if_number() const noexcept;
  std::optional<std::string_view> if_string() const noexcept;
  std::optional<node_array> if_array() const noexcept;
  std::optional<node_object> if_object() const noexcept;

  /// A copy as a json::value, refused past `max_depth` levels of nesting.
  result<value, std::string> copy(std::size_t max_depth = parse_limits{}.max_depth) const;

private:
  friend class node_array;
  friend class node_object;
  friend struct node_access;
  detail::opaque16 element_;
};

struct node_member {
  std::string_view name;
  node value;
};

/// A small non-owning callable reference: with_parsed calls it once, before it returns.
template <class Signature>
class callback_ref;
template <class R, class... Args>
class callback_ref<R(Args...)> {
public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, callback_ref>) callback_ref(F&& f)
  noexcept // NOLINT: converting, as std::function's
      : target_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* t, Args... args) -> R { return (*static_cast<std::remove_reference_t<F>*>(t))(std::forward<Args>(args)...); }) {}
  R operator()(Args... args) const { return call_(target_, std::forward<Args>(args)...); }

private:
  void* target_;
  R (*call_)(void*, Args...);
};

/// Parses `text` with the thread's parser and gives `read` the root while the document lives.
/// Malformed JSON is the same plain-words error parse() gives, and `read` is not called.
std::optional<std::string> with_parsed(std::string_view text, callback_ref<void(node)> read);

} // namespace onbehalf::json
