// A value or the message saying why there is none. Expected failures at
// module edges are values (see README, "Errors"); the message names what was
// wrong and where, and never carries credentials.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sr::base {

template <class T>
class Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  static Expected failure(std::string why) { return Expected(Failure{std::move(why)}); }

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(v_).why; }

 private:
  struct Failure {
    std::string why;
  };
  explicit Expected(Failure f) : v_(std::in_place_index<1>, std::move(f)) {}
  std::variant<T, Failure> v_;
};

}  // namespace sr::base
