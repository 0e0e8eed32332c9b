// The backoff policy: growth, cap, reset and the three jitters.
#include "base/backoff.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace std::chrono_literals;
using sr::base::Backoff;
using sr::base::BackoffPolicy;
using Jitter = sr::base::BackoffPolicy::Jitter;

TEST_CASE("without jitter the step doubles up to the cap and resets", "[base][backoff]") {
  Backoff b({5000ms, 60000ms, 2, Jitter::none});
  CHECK(b.next() == 5000ms);
  CHECK(b.next() == 10000ms);
  CHECK(b.next() == 20000ms);
  CHECK(b.next() == 40000ms);
  CHECK(b.next() == 60000ms);
  CHECK(b.next() == 60000ms);
  b.reset();
  CHECK(b.step() == 5000ms);
  CHECK(b.next() == 5000ms);
}

TEST_CASE("advance grows the step without a wait", "[base][backoff]") {
  Backoff b({100ms, 1000ms, 2, Jitter::none});
  b.advance();
  b.advance();
  CHECK(b.next() == 400ms);
}

TEST_CASE("full jitter stays in [0, step] and depends on the seed", "[base][backoff]") {
  const BackoffPolicy p{100ms, 1000ms, 2, Jitter::full};
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    Backoff b(p, seed);
    for (int attempt = 1; attempt <= 8; ++attempt) {
      const auto cap = std::min(1000ms, 100ms * (1 << (attempt - 1)));
      const auto w = b.next();
      CHECK(w >= 0ms);
      CHECK(w <= cap);
    }
  }
  std::set<long long> first;
  for (std::uint64_t seed = 0; seed < 20; ++seed) first.insert(Backoff(p, seed).next().count());
  CHECK(first.size() > 5);
  CHECK(Backoff(p, 7).next() == Backoff(p, 7).next());  // reproducible
}

TEST_CASE("spread jitter stays within plus or minus the spread", "[base][backoff]") {
  BackoffPolicy p{5000ms, 60000ms, 2, Jitter::spread, 0.2};
  std::set<long long> seen;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const auto w = Backoff(p, seed).next();
    CHECK(w >= 4000ms);
    CHECK(w <= 6000ms);
    seen.insert(w.count());
  }
  CHECK(seen.size() > 50);
}

TEST_CASE("huge steps saturate at the cap", "[base][backoff]") {
  Backoff b({std::chrono::milliseconds(INT64_MAX / 3), std::chrono::milliseconds(INT64_MAX / 2), 4,
             Jitter::none});
  b.next();
  CHECK(b.step() == std::chrono::milliseconds(INT64_MAX / 2));
  Backoff zero({0ms, 0ms});
  CHECK(zero.next() == 0ms);
}
