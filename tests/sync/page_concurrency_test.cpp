// The AIMD limit of pages in flight, on a clock the test owns: it grows by
// one per window of clean, fast pages, halves on push-back at most once per
// window, never leaves 1..max, and max 1 never grows.
#include "sync/adapters/https/page_concurrency.hpp"

#include <catch2/catch.hpp>

using namespace sr::sync;
using namespace std::chrono_literals;
using Clock = PageConcurrency::Clock;

namespace {

// `n` clean pages that each took `took`.
void clean_pages(PageConcurrency& c, int n, Clock::duration took = 50ms) {
  for (int i = 0; i < n; ++i) c.clean(took);
}

}  // namespace

TEST_CASE("the limit grows by one after a window of clean pages, up to max", "[sync][concurrency]") {
  PageConcurrency c({8, 2, 3.0});
  CHECK(c.limit() == 2);
  clean_pages(c, 1);
  CHECK(c.limit() == 2);  // a window is `limit` pages
  clean_pages(c, 1);
  CHECK(c.limit() == 3);
  clean_pages(c, 3);
  CHECK(c.limit() == 4);
  clean_pages(c, 100);
  CHECK(c.limit() == 8);
  CHECK(c.increases() == 6);
  CHECK(c.decreases() == 0);
}

TEST_CASE("slow pages stop the growth without cutting the limit", "[sync][concurrency]") {
  PageConcurrency c({8, 2, 3.0});
  clean_pages(c, 2, 50ms);
  REQUIRE(c.limit() == 3);
  // Pages now take four times the fastest: the server is saturated.
  for (int i = 0; i < 50; ++i) c.clean(200ms);
  CHECK(c.limit() == 3);
  // Within slow_factor of the fastest they count again.
  clean_pages(c, 3, 140ms);
  CHECK(c.limit() == 4);
}

TEST_CASE("push-back halves the limit once per window", "[sync][concurrency]") {
  PageConcurrency c({16, 16, 3.0});
  const Clock::time_point t0{};
  const auto sent = t0 + 1s;
  CHECK(c.congested(sent, t0 + 2s));
  CHECK(c.limit() == 8);
  // More 429s to requests sent before that decrease: the same episode.
  CHECK_FALSE(c.congested(sent, t0 + 2100ms));
  CHECK_FALSE(c.congested(t0 + 1999ms, t0 + 2200ms));
  CHECK(c.limit() == 8);
  // A request sent after it, pushed back again: halved again.
  CHECK(c.congested(t0 + 2s, t0 + 3s));
  CHECK(c.limit() == 4);
  CHECK(c.congested(t0 + 3s, t0 + 4s));
  CHECK(c.congested(t0 + 4s, t0 + 5s));
  CHECK(c.limit() == 1);
  // Never below 1; a push-back at 1 is not a decrease.
  CHECK_FALSE(c.congested(t0 + 5s, t0 + 6s));
  CHECK(c.limit() == 1);
  CHECK(c.decreases() == 4);
}

TEST_CASE("push-back resets the clean run; growth starts over", "[sync][concurrency]") {
  PageConcurrency c({8, 4, 3.0});
  const Clock::time_point t0{};
  clean_pages(c, 3);
  c.congested(t0, t0 + 1s);
  REQUIRE(c.limit() == 2);
  clean_pages(c, 1);
  CHECK(c.limit() == 2);
  clean_pages(c, 1);
  CHECK(c.limit() == 3);  // additive again, from the halved limit
}

TEST_CASE("max 1 is sequential: never grows; the initial limit is clamped", "[sync][concurrency]") {
  PageConcurrency one({1, 2, 3.0});
  CHECK(one.limit() == 1);
  clean_pages(one, 100);
  CHECK(one.limit() == 1);
  CHECK(one.increases() == 0);
  PageConcurrency zero({0, 0, 3.0});  // nonsense in, sane out
  CHECK(zero.limit() == 1);
  CHECK(zero.max() == 1);
  PageConcurrency high({4, 9, 3.0});
  CHECK(high.limit() == 4);
}
