// How many pages of one source are in flight at once: additive increase,
// multiplicative decrease (AIMD), as TCP does with its window. It grows by
// one after a window's worth of pages came back clean and fast, and halves
// when the server pushes back (429, 503, a timeout or a broken answer), at
// most once per window: answers to requests sent before the last decrease
// say nothing about the new limit. Pure: the caller owns the clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace sr::sync {

struct PageConcurrencyOptions {
  unsigned max = 4;      // the source's max_concurrency; 1 is sequential
  unsigned initial = 2;  // clamped to 1..max
  // A page slower than this many times the fastest page seen is not
  // "fast": the server (or the link) is saturated, so the limit stops growing.
  double slow_factor = 3.0;
};

class PageConcurrency {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PageConcurrency(PageConcurrencyOptions options);

  unsigned limit() const noexcept { return limit_; }
  unsigned max() const noexcept { return options_.max; }
  std::uint64_t increases() const noexcept { return increases_; }
  std::uint64_t decreases() const noexcept { return decreases_; }

  // A page came back whole at the first attempt, `took` after it was sent.
  void clean(Clock::duration took);
  // An attempt sent at `sent` met push-back; true when the limit was halved.
  bool congested(Clock::time_point sent, Clock::time_point now);

 private:
  PageConcurrencyOptions options_;
  unsigned limit_;
  unsigned clean_in_a_row_ = 0;
  Clock::duration fastest_ = Clock::duration::max();
  Clock::time_point last_decrease_{};  // epoch: none yet
  bool decreased_ = false;
  std::uint64_t increases_ = 0, decreases_ = 0;
};

}  // namespace sr::sync
