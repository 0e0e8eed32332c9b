// When a source runs (wire-contract.md, scheduling facts): once at start,
// then every discovery_interval, and also every poll_interval when that
// differs. Each tick is delayed by a little jitter (up to `jitter` of its
// interval, at most 30 s) so a fleet of agents does not hit an API in the
// same second; nominal times do not drift. Pure: tests drive it with any
// time points.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace sr::sync {

class Schedule {
 public:
  using Clock = std::chrono::steady_clock;
  using Duration = std::chrono::nanoseconds;

  Schedule(Clock::time_point start, Duration discovery, Duration poll, Duration fallback,
           Duration floor, double jitter, std::uint64_t seed);

  // The next tick after the previous one returned (the first is after start).
  Clock::time_point next();
  const std::vector<Duration>& intervals() const noexcept { return intervals_; }

 private:
  struct Ticker {
    Duration every;
    std::uint64_t k = 1;  // next multiple
  };
  Duration jitter_for(const Ticker& t) const;

  Clock::time_point start_;
  std::vector<Duration> intervals_;
  std::vector<Ticker> tickers_;
  double jitter_;
  std::uint64_t seed_;
};

}  // namespace sr::sync
