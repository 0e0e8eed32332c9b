#include "net/https/retry_policy.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sr::net::https {

namespace {

using Verdict = RetryDecision::Verdict;

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool waits_for_server(unsigned status) { return status == 429 || status == 503; }

bool retryable(unsigned status) {
  return status == 0 || status == 408 || waits_for_server(status) || status >= 500;
}

std::string describe(const AttemptOutcome& o) {
  if (o.status != 0) return fmt::format("HTTP {}", o.status);
  return o.error.empty() ? std::string("no response") : o.error;
}

}  // namespace

std::chrono::milliseconds RetryState::backoff() {
  // Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))].
  const int shift = std::min(attempts_ - 1, 30);
  const auto ceiling =
      std::min<std::int64_t>(policy_.max_delay.count(), policy_.base_delay.count() << shift);
  if (ceiling <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(splitmix64(rng_) % static_cast<std::uint64_t>(ceiling + 1)));
}

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
    return retry_after_wait(*outcome.retry_after,
                            fmt::format("HTTP {}, Retry-After {} s", status,
                                        outcome.retry_after->count()));
  }
  return retry_after_wait(backoff(), describe(outcome));
}

}  // namespace sr::net::https
