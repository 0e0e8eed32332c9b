// One line per event on stderr, with a UTC timestamp and a level. The
// gateway logs identities and reasons, never key material.
#pragma once

#include <fmt/chrono.h>
#include <fmt/core.h>

#include <chrono>
#include <cstdio>

namespace sr::gateway {

template <class... Args>
void log(const char* level, fmt::format_string<Args...> format, Args&&... args) {
  const auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  fmt::print(stderr, "{:%FT%T}Z {} {}\n", now, level,
             fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace sr::gateway
