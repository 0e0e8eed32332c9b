#include "agent/process/loop_lag.hpp"

#include "base/prometheus_text.hpp"
#include "net/handler_timing.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>

namespace sr::agent {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct LoopLagProbe::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor ex, std::chrono::milliseconds p) : timer(std::move(ex)), period(p) {}
  asio::steady_timer timer;
  std::chrono::milliseconds period;
  std::atomic<std::int64_t> last_us{0}, max_us{0};
  std::atomic<std::uint64_t> stalls{0};
  std::atomic<bool> stopped{false};

  void arm() {
    timer.expires_after(period);
    const auto due = timer.expiry();
    timer.async_wait([self = shared_from_this(), due](boost::system::error_code ec) {
      if (ec || self->stopped) return;
      const auto late = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - due).count();
      self->last_us = late;
      std::int64_t seen = self->max_us.load();
      while (late > seen && !self->max_us.compare_exchange_weak(seen, late)) {
      }
      if (late > std::chrono::duration_cast<std::chrono::microseconds>(kStall).count()) ++self->stalls;
      self->arm();
    });
  }
};

LoopLagProbe::LoopLagProbe(asio::any_io_executor ex, std::chrono::milliseconds period)
    : state_(std::make_shared<State>(std::move(ex), period)) {}

LoopLagProbe::~LoopLagProbe() { state_->stopped = true; }

void LoopLagProbe::start() { state_->arm(); }

void LoopLagProbe::stop() {
  state_->stopped = true;
  // The timer belongs to its strand: cancelled there, never beside its handler.
  asio::post(state_->timer.get_executor(), [s = state_] { s->timer.cancel(); });
}

std::string LoopLagProbe::metrics_text() const {
  using base::prometheus::Type;
  using base::prometheus::Value;
  const auto handlers = sr::net::handler_timing::stats();
  base::prometheus::Writer w;
  w.single("serviceradar_agent_event_loop_lag_seconds", Type::gauge, "How late the last due timer ran.",
           Value::fixed(state_->last_us.load() / 1e6, 6));
  w.single("serviceradar_agent_event_loop_lag_max_seconds", Type::gauge, "The latest a due timer ran since start.",
           Value::fixed(state_->max_us.load() / 1e6, 6));
  w.single("serviceradar_agent_event_loop_stalls_total", Type::counter, "Timers that ran more than 100 ms late.",
           state_->stalls.load());
  w.single("serviceradar_agent_handler_max_seconds", Type::gauge, "The longest one handler held a pool thread.",
           Value::fixed(handlers.max_micros / 1e6, 6));
  w.single("serviceradar_agent_handler_stalls_total", Type::counter,
           "Handlers that held a pool thread over 100 ms.", handlers.stalls);
  return w.take();
}

}  // namespace sr::agent
