// How late the event loop runs a handler that is due: a timer re-armed every
// period measures how long after its expiry it actually ran. A handler that
// blocks a pool thread (or a starved machine) shows up here, in /metrics:
//   serviceradar_agent_event_loop_lag_seconds       the last measurement
//   serviceradar_agent_event_loop_lag_max_seconds   the largest since start
//   serviceradar_agent_event_loop_stalls_total      measurements over 100 ms
// With several pool threads a timer runs on whichever is free, so one blocked
// thread hides from it; the handler metrics (net/handler_timing) see each one:
//   serviceradar_agent_handler_max_seconds          the longest a handler held a thread
//   serviceradar_agent_handler_stalls_total         handlers that held one over 100 ms
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace sr::agent {

class LoopLagProbe {
 public:
  static constexpr std::chrono::milliseconds kStall{100};

  // `ex`: a strand of the pool (the timer is re-armed on it).
  LoopLagProbe(boost::asio::any_io_executor ex, std::chrono::milliseconds period);
  ~LoopLagProbe();
  void start();  // before the pool runs
  void stop();   // from any thread; idempotent
  std::string metrics_text() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace sr::agent
