// SIGINT, SIGTERM and SIGHUP held pending from the first line of `run` until
// the signal sets that handle them exist: a stop during start-up (a service
// manager stopping a slow start) becomes the orderly stop, and a reload the
// reload, instead of the default action (the process killed). Threads made
// while they are held (the pool's, gRPC's) inherit the mask, so a signal is
// always the main thread's.
#pragma once

#include <pthread.h>

#include <csignal>
#include <utility>

namespace sr::agent {

class StopSignalsHeld {
 public:
  StopSignalsHeld() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  ~StopSignalsHeld() { release(); }
  StopSignalsHeld(const StopSignalsHeld&) = delete;
  StopSignalsHeld& operator=(const StopSignalsHeld&) = delete;
  // Once a handler is installed: a pending signal is delivered to it now.
  void release() {
    if (std::exchange(held_, false)) ::pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
  }

 private:
  sigset_t set_;
  bool held_ = true;
};

}  // namespace sr::agent
