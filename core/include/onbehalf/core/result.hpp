// A value or a typed error: how every expected failure travels in onbehalf.
#pragma once

#include <optional>
#include <utility>
#include <variant>

namespace onbehalf {

/// Wraps an error so `result<T, E>` can be built from it even when T and E convert into each other.
template <class E>
struct failure {
  E error;
};

template <class E>
failure(E) -> failure<E>;

/// Holds either a value of T or an error of E; like std::expected (C++23), which g++ 12 lacks in C++20.
template <class T, class E>
class [[nodiscard]] result {
public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  template <class F>
  result(failure<F> f) : state_(std::in_place_index<1>, std::move(f.error)) {}

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  E& error() & { return std::get<1>(state_); }
  const E& error() const& { return std::get<1>(state_); }

private:
  std::variant<T, E> state_;
};

/// Success with nothing to carry (a DELETE's answer), or an error.
template <class E>
class [[nodiscard]] result<void, E> {
public:
  result() = default;
  template <class F>
  result(failure<F> f) : error_(std::move(f.error)) {}

  bool has_value() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return has_value(); }

  E& error() & { return *error_; }
  const E& error() const& { return *error_; }

private:
  std::optional<E> error_;
};

} // namespace onbehalf
