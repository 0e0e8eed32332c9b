// Dates from peers: HTTP-dates and RFC 3339, only years the clock can hold.
#include "base/text/date_time.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono;
using sr::base::parse_http_date;
using sr::base::parse_rfc3339;

TEST_CASE("RFC 3339 with a fraction, Z, an offset or no zone", "[base][date]") {
  const auto t = sys_days{year{2026} / November / 25} + 16h;
  CHECK(parse_rfc3339("2026-11-25T16:00:00Z") == t);
  CHECK(parse_rfc3339("2026-11-25T16:00:00.5Z") == t);  // the fraction is dropped
  CHECK(parse_rfc3339("2026-11-25T18:15:00+02:15") == t);
  CHECK(parse_rfc3339("2026-11-25T16:00:00") == t);
  CHECK_FALSE(parse_rfc3339("2026-11-25t16:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2026-11-25T16:00:00+24:00"));
  CHECK_FALSE(parse_rfc3339("2026-11-25T16:00:00 Z"));
}

TEST_CASE("dates outside 1900..2200 are none in both forms", "[base][date]") {
  CHECK_FALSE(parse_rfc3339("9999-12-31T23:59:59Z"));
  CHECK_FALSE(parse_rfc3339("1677-09-21T00:12:44Z"));
  CHECK(parse_rfc3339("2200-12-31T23:59:59+00:00"));
  CHECK_FALSE(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT"));
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == sys_days{year{1994} / November / 6} + 8h + 49min + 37s);
}
