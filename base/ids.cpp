#include "base/ids.hpp"

#include <fmt/format.h>

#include <random>

namespace sr::base {

std::uint64_t random_u64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

std::string new_uuid_v4() {
  const std::uint64_t a = random_u64(), b = random_u64();
  const std::uint64_t hi = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  const std::uint64_t lo = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                     lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

}  // namespace sr::base
