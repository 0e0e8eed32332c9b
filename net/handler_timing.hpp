// How long each Asio handler holds its pool thread. Asio includes this file
// through BOOST_ASIO_CUSTOM_HANDLER_TRACKING (set project-wide in meson.build),
// so every completion handler, posted function and coroutine resumption is
// bracketed by begin()/end() on the thread that runs it.
//
// Why not only the loop-lag timer (agent/process/loop_lag): with several
// threads on one io_context, a timer is run by whichever thread is free, so
// one thread blocked for a second is invisible to it. This sees every thread.
//
// Counted is a handler's own time: a strand's batch or an inline dispatch
// runs nested handlers, whose time is not charged to the one around them.
// Wall time, so a thread preempted by a busy machine counts as held. The
// figures are process-wide: every thread that runs Asio handlers (the agent
// has only its pool; the reference gateway's SQLite writer, a thread of its
// own that blocks by design, counts there too).
// Cost: two steady_clock reads per handler; shared state is written only when
// a handler sets a new maximum or stalls.
//
// Keep this header light: every file that includes Asio includes it.
#pragma once

#include <cstdint>

namespace sr::net::handler_timing {

// A handler that holds its thread longer than this is a stall.
inline constexpr std::int64_t kStallMicros = 100'000;

struct Stats {
  std::uint64_t stalls = 0;      // handlers over kStallMicros, since start
  std::int64_t max_micros = 0;   // the longest a handler held a thread
};
Stats stats() noexcept;

void begin() noexcept;
void end() noexcept;

// One per handler invocation site in Asio (its `tracked_completion`). Ends the
// measurement even when the handler throws.
class Completion {
 public:
  template <class... Args>
  explicit Completion(const Args&...) noexcept {}
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;
  ~Completion() {
    if (open_) end();
  }
  template <class... Args>
  void invocation_begin(const Args&...) noexcept {
    open_ = true;
    begin();
  }
  void invocation_end() noexcept {
    open_ = false;
    end();
  }

 private:
  bool open_ = false;
};

}  // namespace sr::net::handler_timing

// The macros Asio requires of a custom tracker (boost/asio/detail/handler_tracking.hpp);
// only the invocation ones do anything.
#define BOOST_ASIO_INHERIT_TRACKED_HANDLER
#define BOOST_ASIO_ALSO_INHERIT_TRACKED_HANDLER
#define BOOST_ASIO_HANDLER_TRACKING_INIT (void)0
#define BOOST_ASIO_HANDLER_LOCATION(args) (void)0
#define BOOST_ASIO_HANDLER_CREATION(args) (void)0
#define BOOST_ASIO_HANDLER_COMPLETION(args) \
  ::sr::net::handler_timing::Completion tracked_completion args
#define BOOST_ASIO_HANDLER_INVOCATION_BEGIN(args) tracked_completion.invocation_begin args
#define BOOST_ASIO_HANDLER_INVOCATION_END tracked_completion.invocation_end()
#define BOOST_ASIO_HANDLER_OPERATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_REGISTRATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_DEREGISTRATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_READ_EVENT 1
#define BOOST_ASIO_HANDLER_REACTOR_WRITE_EVENT 2
#define BOOST_ASIO_HANDLER_REACTOR_ERROR_EVENT 4
#define BOOST_ASIO_HANDLER_REACTOR_EVENTS(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_OPERATION(args) (void)0
