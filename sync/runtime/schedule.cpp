#include "sync/runtime/schedule.hpp"

#include "base/splitmix.hpp"

#include <algorithm>

namespace sr::sync {

namespace {
constexpr Schedule::Duration kMaxJitter = std::chrono::seconds(30);
}  // namespace

Schedule::Schedule(Clock::time_point start, Duration discovery, Duration poll, Duration fallback,
                   Duration floor, double jitter, std::uint64_t seed)
    : start_(start), jitter_(jitter), seed_(seed) {
  for (auto d : {discovery, poll})
    if (d.count() > 0) intervals_.push_back(std::max(d, floor));
  if (intervals_.empty()) intervals_.push_back(std::max(fallback, floor));
  std::sort(intervals_.begin(), intervals_.end());
  intervals_.erase(std::unique(intervals_.begin(), intervals_.end()), intervals_.end());
  for (auto d : intervals_) tickers_.push_back({d, 1});
}

Schedule::Duration Schedule::jitter_for(const Ticker& t) const {
  const auto span = std::min(Duration(static_cast<Duration::rep>(static_cast<double>(t.every.count()) * jitter_)),
                             kMaxJitter);
  if (span.count() <= 0) return Duration(0);
  const auto r = base::splitmix(seed_ ^ base::splitmix(static_cast<std::uint64_t>(t.every.count()) + t.k));
  return Duration(static_cast<Duration::rep>(r % static_cast<std::uint64_t>(span.count())));
}

Schedule::Clock::time_point Schedule::next() {
  auto due = [&](const Ticker& t) {
    return start_ + t.every * static_cast<Duration::rep>(t.k) + jitter_for(t);
  };
  auto best = std::min_element(tickers_.begin(), tickers_.end(),
                               [&](const Ticker& a, const Ticker& b) { return due(a) < due(b); });
  const auto at = due(*best);
  // Ticks of other intervals that coincide (within a second, or half the
  // shortest interval) collapse into one.
  const auto window = std::min<Duration>(std::chrono::seconds(1), intervals_.front() / 2);
  for (auto& t : tickers_)
    if (due(t) - at <= window) ++t.k;
  return at;
}

}  // namespace sr::sync
