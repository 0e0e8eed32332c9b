#include "sync/adapters/https/page_concurrency.hpp"

#include <algorithm>

namespace sr::sync {

PageConcurrency::PageConcurrency(PageConcurrencyOptions options)
    : options_(options), limit_(std::clamp(options.initial, 1u, std::max(options.max, 1u))) {
  options_.max = std::max(options_.max, 1u);
}

void PageConcurrency::clean(Clock::duration took) {
  fastest_ = std::min(fastest_, took);
  const bool fast = took <= std::chrono::duration_cast<Clock::duration>(fastest_ * options_.slow_factor);
  if (!fast) {
    clean_in_a_row_ = 0;
    return;
  }
  if (++clean_in_a_row_ < limit_ || limit_ >= options_.max) return;
  clean_in_a_row_ = 0;
  ++limit_;
  ++increases_;
}

bool PageConcurrency::congested(Clock::time_point sent, Clock::time_point now) {
  clean_in_a_row_ = 0;
  if (decreased_ && sent < last_decrease_) return false;  // sent at the old limit: already answered for
  decreased_ = true;
  last_decrease_ = now;
  if (limit_ == 1) return false;
  limit_ = (limit_ + 1) / 2;  // 3 -> 2, 2 -> 1
  ++decreases_;
  return true;
}

}  // namespace sr::sync
