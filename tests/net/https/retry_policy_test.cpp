// The retry policy: which answers are retried, how long it waits, and bounds.
#include "net/https/retry_policy.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace std::chrono_literals;
using sr::net::https::AttemptOutcome;
using sr::net::https::RetryPolicy;
using sr::net::https::RetryState;
using Verdict = sr::net::https::RetryDecision::Verdict;

namespace {
AttemptOutcome answer(unsigned status, std::optional<std::chrono::seconds> retry_after = {}) {
  AttemptOutcome o;
  o.status = status;
  o.retry_after = retry_after;
  return o;
}
AttemptOutcome no_answer(std::string why) {
  AttemptOutcome o;
  o.error = std::move(why);
  return o;
}
}  // namespace

TEST_CASE("success and client errors end at once", "[https][retry]") {
  RetryState ok({}, 1);
  CHECK(ok.next(answer(200)).verdict == Verdict::done);
  for (unsigned status : {400u, 401u, 403u, 404u, 301u}) {
    RetryState s({}, 1);
    const auto d = s.next(answer(status));
    CHECK(d.verdict == Verdict::fail);
    CHECK_THAT(d.reason, Catch::StartsWith("HTTP " + std::to_string(status)));
  }
}

TEST_CASE("429 and 503 wait exactly what Retry-After says", "[https][retry]") {
  RetryState s({}, 1);
  auto d = s.next(answer(429, 7s));
  CHECK(d.verdict == Verdict::retry);
  CHECK(d.wait == 7s);
  CHECK(d.reason == "HTTP 429, Retry-After 7 s");
  d = s.next(answer(503, 2s));
  CHECK(d.wait == 2s);
  CHECK(s.waited() == 9s);
}

TEST_CASE("a Retry-After beyond the limit fails instead of waiting", "[https][retry]") {
  RetryPolicy p;
  p.max_retry_after = 60s;
  RetryState s(p, 1);
  const auto d = s.next(answer(429, 3600s));
  CHECK(d.verdict == Verdict::fail);
  CHECK(d.reason == "HTTP 429 asks to retry after 3600 s, beyond the 60 s limit");
}

TEST_CASE("5xx and transport errors back off with full jitter under a growing cap",
          "[https][retry]") {
  RetryPolicy p;
  p.max_attempts = 100;
  p.base_delay = 100ms;
  p.max_delay = 1000ms;
  p.max_total_wait = 1000s;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    RetryState s(p, seed);
    for (int attempt = 1; attempt <= 8; ++attempt) {
      const auto d = s.next(attempt % 2 ? answer(500) : no_answer("connection reset"));
      REQUIRE(d.verdict == Verdict::retry);
      const auto cap = std::min(1000ms, 100ms * (1 << (attempt - 1)));
      CHECK(d.wait >= 0ms);
      CHECK(d.wait <= cap);
    }
  }
  // Jitter spreads the waits: not all seeds pick the same first wait.
  std::set<long long> first;
  for (std::uint64_t seed = 0; seed < 20; ++seed) first.insert(RetryState(p, seed).next(answer(502)).wait.count());
  CHECK(first.size() > 5);
}

TEST_CASE("attempts and the total wait are bounded", "[https][retry]") {
  RetryPolicy p;
  p.max_attempts = 3;
  RetryState s(p, 1);
  CHECK(s.next(answer(500)).verdict == Verdict::retry);
  CHECK(s.next(no_answer("connection refused")).verdict == Verdict::retry);
  const auto last = s.next(no_answer("connection refused"));
  CHECK(last.verdict == Verdict::fail);
  CHECK(last.reason == "connection refused after 3 attempts");

  RetryPolicy budget;
  budget.max_total_wait = 10s;
  RetryState b(budget, 1);
  CHECK(b.next(answer(429, 6s)).verdict == Verdict::retry);
  const auto over = b.next(answer(429, 6s));
  CHECK(over.verdict == Verdict::fail);
  CHECK_THAT(over.reason, Catch::Contains("retry budget"));
}
