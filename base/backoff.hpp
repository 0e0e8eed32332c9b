// Exponential backoff with jitter, as a pure policy: the caller owns the
// clock and the timer, asks next() for the wait before each retry and
// reset()s after a success. Used by the HTTPS retry policy (full jitter),
// the control plane's reconnects (±20 %) and the sender (no jitter).
#pragma once

#include <chrono>
#include <cstdint>

namespace sr::base {

struct BackoffPolicy {
  enum class Jitter {
    none,    // the step itself
    full,    // uniform in [0, step] (whole milliseconds)
    spread,  // uniform in [step × (1 - spread), step × (1 + spread))
  };
  std::chrono::milliseconds initial{0};  // the first step
  std::chrono::milliseconds max{0};      // steps never exceed this
  unsigned factor = 2;                   // each next() multiplies the step by this
  Jitter jitter = Jitter::none;
  double spread = 0.0;                   // Jitter::spread only, e.g. 0.2 for ±20 %
};

class Backoff {
 public:
  // `seed` feeds the jitter's SplitMix64 stream: a fixed seed gives a
  // reproducible sequence (tests), base::random_u64() a fleet not in step.
  explicit Backoff(BackoffPolicy policy, std::uint64_t seed = 0);

  // The wait before the next attempt, jittered; then the step grows by
  // `factor`, capped at `max`.
  std::chrono::milliseconds next();

  // The step grows as next() would, no wait drawn: an attempt whose wait
  // came from elsewhere (a server's Retry-After) still counts.
  void advance();

  // After a success: the next wait starts from `initial` again.
  void reset();

  // The un-jittered step the next call starts from.
  std::chrono::milliseconds step() const { return step_; }

 private:
  std::chrono::milliseconds jittered(std::chrono::milliseconds step);

  BackoffPolicy policy_;
  std::uint64_t rng_;
  std::chrono::milliseconds step_;
};

}  // namespace sr::base
