#include "base/backoff.hpp"

#include "base/splitmix.hpp"

#include <algorithm>

namespace sr::base {

using std::chrono::milliseconds;

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed)
    : policy_(policy), rng_(seed), step_(std::min(policy.initial, policy.max)) {}

void Backoff::reset() { step_ = std::min(policy_.initial, policy_.max); }

milliseconds Backoff::next() {
  const auto wait = jittered(step_);
  advance();
  return wait;
}

void Backoff::advance() {
  // Saturating: a large factor or step cannot overflow past `max`.
  const auto cap = policy_.max.count();
  const auto factor = static_cast<std::int64_t>(std::max(policy_.factor, 1u));
  step_ = step_.count() > cap / factor ? policy_.max : std::min(policy_.max, step_ * factor);
}

milliseconds Backoff::jittered(milliseconds step) {
  if (step.count() <= 0) return milliseconds(0);
  switch (policy_.jitter) {
    case BackoffPolicy::Jitter::none:
      return step;
    case BackoffPolicy::Jitter::full:
      return milliseconds(static_cast<std::int64_t>(splitmix_next(rng_) %
                                                    (static_cast<std::uint64_t>(step.count()) + 1)));
    case BackoffPolicy::Jitter::spread: {
      const double f = 1.0 - policy_.spread + 2.0 * policy_.spread * splitmix_unit(rng_);
      return milliseconds(static_cast<std::int64_t>(static_cast<double>(step.count()) * f));
    }
  }
  return step;
}

}  // namespace sr::base
