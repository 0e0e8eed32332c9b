// When an HTTP request is tried again, and after how long: 429 and 503 wait
// for Retry-After (else back off), other 5xx, 408 and transport errors back
// off with full jitter, other 4xx and 3xx fail at once; attempts and the
// total wait are bounded. Pure: the caller owns the clock and the timer.
#pragma once

#include "base/backoff.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sr::net::https {

struct RetryPolicy {
  int max_attempts = 5;  // the first try included
  std::chrono::milliseconds base_delay{500}, max_delay{30'000};
  std::chrono::milliseconds max_total_wait{300'000};  // summed over one request's retries
  // A Retry-After beyond this is not waited for: the request fails, saying so.
  std::chrono::seconds max_retry_after{600};
};

// What one attempt got.
struct AttemptOutcome {
  unsigned status = 0;  // 0: no response (connect, TLS, timeout, reset)
  std::optional<std::chrono::seconds> retry_after;
  std::string error;    // with status 0: what went wrong

};

struct RetryDecision {
  enum class Verdict { done, retry, fail } verdict = Verdict::done;
  std::chrono::milliseconds wait{0};
  std::string reason;  // for retry and fail: what happened, for the log
};

class RetryState {
 public:
  RetryState(const RetryPolicy& policy, std::uint64_t seed);

  // Call after each attempt.
  RetryDecision next(const AttemptOutcome& outcome);

  int attempts() const { return attempts_; }
  std::chrono::milliseconds waited() const { return waited_; }

 private:
  RetryDecision retry_after_wait(std::chrono::milliseconds wait, std::string reason);

  RetryPolicy policy_;
  base::Backoff backoff_;  // full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]
  int attempts_ = 0;
  std::chrono::milliseconds waited_{0};
};

}  // namespace sr::net::https
