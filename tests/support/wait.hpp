// Waiting in tests: on events, always with a bound. A test that would hang
// aborts with a message instead, since a stuck gRPC call cannot be unwound.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>

namespace sr::test {

using namespace std::chrono_literals;

// Generous: a bound against hangs, never a performance claim. Sanitizer
// builds run several times slower: tools/test sets SR_TEST_SLOWDOWN (3 for
// ASan, 5 for TSan) and every bound here stretches by it.
inline int slowdown_factor() {
  static const int factor = [] {
    const char* v = std::getenv("SR_TEST_SLOWDOWN");
    return std::clamp(v ? std::atoi(v) : 1, 1, 20);
  }();
  return factor;
}
// A bound as written for a plain build, stretched for a sanitizer build.
inline std::chrono::seconds scaled(std::chrono::seconds bound) { return bound * slowdown_factor(); }
inline std::chrono::seconds event_timeout() { return scaled(std::chrono::seconds(60)); }

[[noreturn]] inline void fail_hard(std::string_view what) {
  std::fprintf(stderr, "FATAL: %.*s (gave up after the bounded wait)\n",
               static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

// A counter that threads bump and tests wait on.
class EventCounter {
 public:
  void bump() {
    {
      std::lock_guard lock(mu_);
      ++count_;
    }
    cv_.notify_all();
  }
  int count() const {
    std::lock_guard lock(mu_);
    return count_;
  }
  void wait_for_at_least(int n, std::string_view what) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, event_timeout(), [&] { return count_ >= n; })) fail_hard(what);
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

template <class T>
T get_bounded(std::future<T>& f, std::string_view what) {
  if (f.wait_for(event_timeout()) != std::future_status::ready) fail_hard(what);
  return f.get();
}

// For state another process or thread updates without telling us (a counter
// behind an endpoint): checks every 10 ms until true, at most event_timeout().
template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + event_timeout();
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace sr::test
