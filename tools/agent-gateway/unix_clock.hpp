// Wall-clock seconds since the Unix epoch: what the wire contract's
// timestamps and the status page carry.
#pragma once

#include <chrono>
#include <cstdint>

namespace sr::gateway {

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sr::gateway
