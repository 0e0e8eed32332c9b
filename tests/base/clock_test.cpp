// Wall-clock helpers: RFC 3339 text with nine fraction digits, now in range.
#include "base/clock.hpp"

#include <catch2/catch.hpp>

using sr::base::rfc3339_nanos;

TEST_CASE("RFC 3339 text is UTC with nine fraction digits", "[base][clock]") {
  CHECK(rfc3339_nanos(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(rfc3339_nanos(1'000'000'001) == "1970-01-01T00:00:01.000000001Z");
  CHECK(rfc3339_nanos(1'700'000'000'123'456'789) == "2023-11-14T22:13:20.123456789Z");
  CHECK(rfc3339_nanos(-1) == "1969-12-31T23:59:59.999999999Z");
}

TEST_CASE("now in seconds and nanoseconds agree", "[base][clock]") {
  const auto s = sr::base::unix_now();
  const auto ns = sr::base::unix_now_ns();
  CHECK(s > 1'600'000'000);
  CHECK(ns / 1'000'000'000 - s <= 1);
}
