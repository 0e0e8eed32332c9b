// Which requests of a fake API get an injected fault: every Nth request,
// counted over all requests. With `once_per_page` a page (request target)
// is faulted at most once, so however concurrent clients interleave, every
// page gets through on a later attempt: tests of concurrency under faults
// stay deterministic (the plain count can land one page's retries on fault
// after fault when several pages retry in step).
#pragma once

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

namespace sr::fake {

class PageFaults {
 public:
  explicit PageFaults(bool once_per_page) : once_per_page_(once_per_page) {}

  // Whether request number `n` (1-based) for `target` gets the fault of period `every`.
  bool hit(std::uint64_t n, std::uint64_t every, const std::string& target) {
    if (every == 0 || n % every != 0) return false;
    if (!once_per_page_) return true;
    std::lock_guard lock(mu_);
    return faulted_.insert(target).second;
  }

 private:
  bool once_per_page_;
  std::mutex mu_;
  std::set<std::string> faulted_;  // pages faulted once already (bounded by the page count)
};

}  // namespace sr::fake
