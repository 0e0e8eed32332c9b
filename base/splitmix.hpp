// SplitMix64: a fast, well-mixed 64-bit hash, for deterministic choices
// (the faker's inventory, the schedule's jitter) and, as a stream, the
// jitter of the backoffs. Not for security.
#pragma once

#include <cstdint>

namespace sr::base {

inline constexpr std::uint64_t kSplitmixGamma = 0x9E3779B97F4A7C15ull;

constexpr std::uint64_t splitmix(std::uint64_t x) noexcept {
  x += kSplitmixGamma;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The SplitMix64 generator: the next value of the stream whose state is
// `state`, which advances by the gamma (the reference splitmix64.c).
constexpr std::uint64_t splitmix_next(std::uint64_t& state) noexcept {
  const std::uint64_t out = splitmix(state);
  state += kSplitmixGamma;
  return out;
}

// A double uniform in [0, 1) from the stream (53 random bits).
constexpr double splitmix_unit(std::uint64_t& state) noexcept {
  return static_cast<double>(splitmix_next(state) >> 11) * 0x1.0p-53;
}

}  // namespace sr::base
