// Retry-After: seconds and the three HTTP-date forms; junk is refused.
#include "base/text/date_time.hpp"
#include "net/https/retry_after.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono;
using sr::base::parse_http_date;
using sr::net::https::parse_retry_after;

namespace {
// 1994-11-06T08:49:37Z, RFC 9110's example date.
const system_clock::time_point kExample = sys_days{year{1994} / November / 6} + 8h + 49min + 37s;
}  // namespace

TEST_CASE("Retry-After in seconds", "[https][retry]") {
  const auto now = system_clock::now();
  CHECK(parse_retry_after("120", now) == seconds(120));
  CHECK(parse_retry_after(" 0 ", now) == seconds(0));
  CHECK(parse_retry_after("99999999999999999999999", now) > hours(24 * 365));
  CHECK_FALSE(parse_retry_after("-5", now));
  CHECK_FALSE(parse_retry_after("12s", now));
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("soon", now));
}

TEST_CASE("HTTP-dates in all three forms", "[https][retry]") {
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == kExample);
  CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == kExample);
  CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == kExample);
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"));
  CHECK_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
}

TEST_CASE("Retry-After as a date: the time left, never negative", "[https][retry]") {
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", kExample) == seconds(30));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kExample + 10s) == seconds(0));
  // Rounded up: waiting less than asked would earn another 429.
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", kExample + 500ms) == seconds(30));
}

TEST_CASE("dates outside what the clock can hold are not dates (fuzzing found the overflows)", "[https][retry]") {
  // tools/fuzz, fuzz_retry_after: "Wed Oct 2 07:28:00 9026" overflowed system_clock (UBSan),
  // and after that fix, "Wed Oct 2 07:28:00 1026" did the same below zero.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'764'000'000));
  for (const char* text : {"Wed Oct 2 07:28:00 9026", "Wed, 02 Oct 9026 07:28:00 GMT", "Sun Nov  6 08:49:37 2263",
                           "Wed Oct 2 07:28:00 1026", "Wed, 02 Oct 0001 07:28:00 GMT", "Sun Nov  6 08:49:37 1899"}) {
    INFO(text);
    CHECK_FALSE(parse_http_date(text));
    CHECK_FALSE(parse_retry_after(text, now));
  }
  CHECK(parse_http_date("Wed, 02 Oct 2200 07:28:00 GMT"));  // the last year accepted
  CHECK(parse_http_date("Mon, 01 Jan 1900 00:00:00 GMT"));  // the first
}
