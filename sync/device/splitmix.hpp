// SplitMix64: a fast, well-mixed 64-bit hash, for deterministic choices
// (the faker's inventory, the schedule's jitter). Not for security.
#pragma once

#include <cstdint>

namespace sr::sync {

constexpr std::uint64_t splitmix(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace sr::sync
