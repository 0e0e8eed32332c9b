// The schedule with a fake clock: time points are numbers; nothing waits.
#include "sync/runtime/schedule.hpp"

#include <catch2/catch.hpp>

using namespace sr::sync;
using namespace std::chrono_literals;
using TP = Schedule::Clock::time_point;

namespace {
std::vector<std::chrono::nanoseconds> offsets(Schedule& s, TP start, int n) {
  std::vector<std::chrono::nanoseconds> out;
  for (int i = 0; i < n; ++i) out.push_back(s.next() - start);
  return out;
}
}  // namespace

TEST_CASE("one interval: ticks at every multiple, no drift", "[sync][schedule]") {
  const TP start{};
  Schedule s(start, 0ns, 5min, 1h, 10s, 0.0, 1);
  CHECK(offsets(s, start, 4) == std::vector<std::chrono::nanoseconds>{5min, 10min, 15min, 20min});
}

TEST_CASE("discovery and poll intervals both tick; coinciding ticks collapse", "[sync][schedule]") {
  const TP start{};
  Schedule s(start, 6min, 4min, 1h, 10s, 0.0, 1);
  // 4, 6, 8, 12 (both), 16, 18, 20, 24 (both)
  CHECK(offsets(s, start, 8) ==
        std::vector<std::chrono::nanoseconds>{4min, 6min, 8min, 12min, 16min, 18min, 20min, 24min});
}

TEST_CASE("equal intervals are one; none given falls back; the floor holds", "[sync][schedule]") {
  const TP start{};
  Schedule same(start, 2min, 2min, 1h, 10s, 0.0, 1);
  CHECK(same.intervals().size() == 1);
  Schedule none(start, 0ns, 0ns, 7min, 10s, 0.0, 1);
  CHECK(none.next() - start == 7min);
  Schedule tiny(start, 0ns, 1ns, 1h, 10s, 0.0, 1);
  CHECK(tiny.next() - start == 10s);
}

TEST_CASE("jitter delays each tick by at most its share (capped at 30 s), deterministically", "[sync][schedule]") {
  const TP start{};
  Schedule a(start, 0ns, 100s, 1h, 1s, 0.05, 42);
  Schedule b(start, 0ns, 100s, 1h, 1s, 0.05, 42);
  Schedule c(start, 0ns, 100s, 1h, 1s, 0.05, 43);
  bool differs = false;
  for (int k = 1; k <= 50; ++k) {
    const auto ta = a.next() - start, tb = b.next() - start, tc = c.next() - start;
    CHECK(ta == tb);
    CHECK(ta >= k * 100s);
    CHECK(ta < k * 100s + 5s);
    differs = differs || ta != tc;
  }
  CHECK(differs);  // another agent (seed) ticks at other moments
  Schedule big(start, 0ns, 24h, 1h, 1s, 0.05, 7);
  for (int k = 1; k <= 20; ++k) CHECK(big.next() - start < k * 24h + 30s);
}
