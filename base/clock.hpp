// Wall-clock time as the wire contract and the pages carry it: Unix seconds,
// Unix nanoseconds, and RFC 3339 UTC text with nine fraction digits. Steady
// time (timers, durations) stays with std::chrono::steady_clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sr::base {

// Seconds since the Unix epoch, now.
inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Nanoseconds since the Unix epoch, now.
inline std::int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "2023-11-14T22:13:20.123456789Z": UTC, always nine fraction digits;
// negative times count back from the epoch.
std::string rfc3339_nanos(std::int64_t unix_ns);

}  // namespace sr::base
