// Waiting in tests: on events, always with a bound. A test that would hang
// aborts with a message instead, since a stuck gRPC call cannot be unwound.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string_view>
#include <thread>

namespace sr::test {

using namespace std::chrono_literals;

// Generous: a bound against hangs, never a performance claim.
inline constexpr auto kEventTimeout = 60s;

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
    if (!cv_.wait_for(lock, kEventTimeout, [&] { return count_ >= n; })) fail_hard(what);
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

template <class T>
T get_bounded(std::future<T>& f, std::string_view what) {
  if (f.wait_for(kEventTimeout) != std::future_status::ready) fail_hard(what);
  return f.get();
}

// For state another process or thread updates without telling us (a counter
// behind an endpoint): checks every 10 ms until true, at most kEventTimeout.
template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + kEventTimeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

}  // namespace sr::test
