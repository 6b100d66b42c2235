#pragma once
// A small subset of C++23 std::expected (GCC 12 has it only in -std=c++2b). When the
// toolchain moves on, this header becomes `template <class T, class E> using Expected =
// std::expected<T, E>;`. Accessing the wrong alternative is a programming error (asserted).

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace connswap {

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E e) : error_(std::move(e)) {}
  const E& error() const& { return error_; }
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <class E>
Unexpected(E) -> Unexpected<E>;

template <class T, class E>
class [[nodiscard]] Expected {
 public:
  Expected() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  template <class G>
  Expected(Unexpected<G> u) : v_(std::in_place_index<1>, E(std::move(u).error())) {}  // NOLINT

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return assert(has_value()), std::get<0>(v_); }
  const T& value() const& { return assert(has_value()), std::get<0>(v_); }
  T&& value() && { return assert(has_value()), std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { return assert(!has_value()), std::get<1>(v_); }
  const E& error() const& { return assert(!has_value()), std::get<1>(v_); }
  E&& error() && { return assert(!has_value()), std::get<1>(std::move(v_)); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  template <class G>
  Expected(Unexpected<G> u) : error_(E(std::move(u).error())), ok_(false) {}  // NOLINT

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void value() const { assert(ok_); }

  E& error() & { return assert(!ok_), error_; }
  const E& error() const& { return assert(!ok_), error_; }
  E&& error() && { return assert(!ok_), std::move(error_); }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace connswap
