#include "net/handler_timing.hpp"

#include <atomic>
#include <chrono>

namespace sr::net::handler_timing {
namespace {

std::atomic<std::uint64_t> g_stalls{0};
std::atomic<std::int64_t> g_max_micros{0};

// Handlers nest (a strand runs its queue inside one outer invocation); deeper
// than this they are still counted, just not timed on their own.
constexpr int kMaxDepth = 16;

struct Frame {
  std::int64_t start_ns;
  std::int64_t nested_ns;  // time spent in handlers run inside this one
};

struct ThreadFrames {
  int depth = 0;
  Frame frames[kMaxDepth];
};

thread_local ThreadFrames t_frames;

std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void record(std::int64_t own_ns) noexcept {
  const std::int64_t micros = own_ns / 1000;
  std::int64_t seen = g_max_micros.load(std::memory_order_relaxed);
  while (micros > seen &&
         !g_max_micros.compare_exchange_weak(seen, micros, std::memory_order_relaxed)) {
  }
  if (micros > kStallMicros) g_stalls.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void begin() noexcept {
  ThreadFrames& t = t_frames;
  if (t.depth < kMaxDepth) t.frames[t.depth] = Frame{now_ns(), 0};
  ++t.depth;
}

void end() noexcept {
  ThreadFrames& t = t_frames;
  if (t.depth == 0) return;
  --t.depth;
  if (t.depth >= kMaxDepth) return;
  const Frame& f = t.frames[t.depth];
  const std::int64_t elapsed = now_ns() - f.start_ns;
  if (t.depth > 0) t.frames[t.depth - 1].nested_ns += elapsed;
  record(elapsed - f.nested_ns);
}

Stats stats() noexcept {
  return Stats{g_stalls.load(std::memory_order_relaxed),
               g_max_micros.load(std::memory_order_relaxed)};
}

}  // namespace sr::net::handler_timing
