#include "net/https/retry_policy.hpp"

#include <fmt/format.h>

#include <utility>

namespace sr::net::https {

namespace {

using Verdict = RetryDecision::Verdict;

bool waits_for_server(unsigned status) { return status == 429 || status == 503; }

bool retryable(unsigned status) {
  return status == 0 || status == 408 || waits_for_server(status) || status >= 500;
}

std::string describe(const AttemptOutcome& o) {
  if (o.status != 0) return fmt::format("HTTP {}", o.status);
  return o.error.empty() ? std::string("no response") : o.error;
}

}  // namespace

RetryState::RetryState(const RetryPolicy& policy, std::uint64_t seed)
    : policy_(policy),
      backoff_({policy.base_delay, policy.max_delay, 2, base::BackoffPolicy::Jitter::full}, seed) {}

RetryDecision RetryState::retry_after_wait(std::chrono::milliseconds wait, std::string reason) {
  if (waited_ + wait > policy_.max_total_wait)
    return {Verdict::fail, {},
            fmt::format("{}; retrying would wait beyond the {} s retry budget", reason,
                        policy_.max_total_wait.count() / 1000)};
  waited_ += wait;
  return {Verdict::retry, wait, std::move(reason)};
}

RetryDecision RetryState::next(const AttemptOutcome& outcome) {
  ++attempts_;
  const unsigned status = outcome.status;
  if (status >= 200 && status < 300) return {Verdict::done, {}, {}};
  if (!retryable(status)) {
    const char* why = status < 400 ? "unexpected redirect or informational answer"
                                   : "the server refused the request";
    return {Verdict::fail, {}, fmt::format("HTTP {} ({})", status, why)};
  }
  if (attempts_ >= policy_.max_attempts)
    return {Verdict::fail, {},
            fmt::format("{} after {} attempts", describe(outcome), attempts_)};
  if (waits_for_server(status) && outcome.retry_after) {
    if (*outcome.retry_after > policy_.max_retry_after)
      return {Verdict::fail, {},
              fmt::format("HTTP {} asks to retry after {} s, beyond the {} s limit", status,
                          outcome.retry_after->count(), policy_.max_retry_after.count())};
    backoff_.advance();  // the cap still grows with the attempts
    return retry_after_wait(*outcome.retry_after,
                            fmt::format("HTTP {}, Retry-After {} s", status,
                                        outcome.retry_after->count()));
  }
  return retry_after_wait(backoff_.next(), describe(outcome));
}

}  // namespace sr::net::https
