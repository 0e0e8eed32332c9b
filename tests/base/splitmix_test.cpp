// SplitMix64: the reference values, the stream and its unit interval.
#include "base/splitmix.hpp"

#include <catch2/catch.hpp>

using sr::base::splitmix;
using sr::base::splitmix_next;
using sr::base::splitmix_unit;

TEST_CASE("the stream follows the reference splitmix64.c", "[base][splitmix]") {
  // splitmix64.c with x = 0: the first outputs.
  std::uint64_t state = 0;
  CHECK(splitmix_next(state) == 0xE220A8397B1DCDAFull);
  CHECK(splitmix_next(state) == 0x6E789E6AA1B965F4ull);
  CHECK(splitmix_next(state) == 0x06C45D188009454Full);
  CHECK(splitmix(0) == 0xE220A8397B1DCDAFull);
  static_assert(splitmix(1) != splitmix(2));
}

TEST_CASE("unit values stay in [0, 1)", "[base][splitmix]") {
  std::uint64_t state = 42;
  double lo = 1, hi = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = splitmix_unit(state);
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  CHECK(lo < 0.01);
  CHECK(hi > 0.99);
}
