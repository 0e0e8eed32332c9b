#include "sync/adapters/https/page_window.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <exception>

namespace sr::sync {

namespace asio = boost::asio;
using Clock = PageConcurrency::Clock;

struct PageWindow::Slot {
  WindowPage page;
  RunOutcome outcome;
  bool done = false;
  asio::cancellation_signal cancel;
};

// What the window and its fetches share; the fetches' completion handlers
// keep it alive whatever order things are torn down in.
struct PageWindow::Shared {
  explicit Shared(asio::any_io_executor ex) : executor(ex), wake(ex) {}
  asio::any_io_executor executor;      // the source's strand: the window and every fetch
  asio::steady_timer wake;             // cancelled whenever a fetch ends
  std::deque<std::shared_ptr<Slot>> held;  // in page order: in flight or waiting for their turn
  unsigned live = 0;                   // fetches not ended
};

PageWindow::PageWindow(PageConcurrency& concurrency, NewReading new_reading, Fetch fetch, Deliver deliver)
    : concurrency_(concurrency),
      new_reading_(std::move(new_reading)),
      fetch_(std::move(fetch)),
      deliver_(std::move(deliver)) {}

PageWindow::~PageWindow() = default;

unsigned PageWindow::in_flight() const {
  return static_cast<unsigned>(
      std::count_if(shared_->held.begin(), shared_->held.end(), [](const auto& s) { return !s->done; }));
}

void PageWindow::start(std::uint64_t number, std::uint64_t offset) {
  auto slot = std::make_shared<Slot>();
  slot->page.number = number;
  slot->page.offset = offset;
  slot->page.reading = new_reading_();
  shared_->held.push_back(slot);
  ++shared_->live;
  peak_ = std::max(peak_, in_flight());
  asio::co_spawn(shared_->executor, fetch_one(slot),
                 asio::bind_cancellation_slot(slot->cancel.slot(), [shared = shared_, slot](std::exception_ptr e) {
                   if (e) slot->outcome = RunOutcome::failed("cancelled", "page fetch cancelled");
                   slot->done = true;
                   --shared->live;
                   shared->wake.cancel();
                 }));
}

asio::awaitable<void> PageWindow::fetch_one(std::shared_ptr<Slot> slot) {
  const auto sent = Clock::now();
  auto outcome = co_await fetch_(slot->page);
  // A page that needed no retry tells the limit the server keeps up.
  if (outcome.ok() && outcome.retries.retries == 0) concurrency_.clean(Clock::now() - sent);
  slot->outcome = std::move(outcome);
}

asio::awaitable<void> PageWindow::wait_for_news() {
  shared_->wake.expires_at(Clock::time_point::max());
  co_await shared_->wake.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Cancels the fetches still running and waits for each to end.
asio::awaitable<void> PageWindow::stop_all() {
  // The run may be being stopped: these waits must still complete.
  co_await asio::this_coro::reset_cancellation_state();
  for (auto& slot : shared_->held)
    if (!slot->done) slot->cancel.emit(asio::cancellation_type::terminal);
  while (shared_->live > 0) co_await wait_for_news();
  shared_->held.clear();
}

namespace {

bool cancelled(const asio::cancellation_state& state) {
  return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace

asio::awaitable<WindowEnd> PageWindow::run(PagePlan plan) {
  shared_ = std::make_shared<Shared>(co_await asio::this_coro::executor);
  // Cancellation is checked by hand below: whatever happens, the fetches
  // are stopped and waited for before this returns (they use the caller's
  // client and pages), so no wait here may throw past stop_all().
  const bool threw = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  WindowEnd end;
  try {
    end = co_await drive(plan);
  } catch (const std::exception& e) {
    end.outcome = RunOutcome::failed("push", std::string("stopped: ") + e.what());
  }
  co_await stop_all();
  co_await asio::this_coro::throw_if_cancelled(threw);
  co_return end;
}

asio::awaitable<WindowEnd> PageWindow::drive(const PagePlan& plan) {
  const auto state = co_await asio::this_coro::cancellation_state;
  std::uint64_t next_number = plan.first_number, next_offset = plan.first;
  WindowEnd end;
  for (;;) {
    if (cancelled(state)) {  // the run is being stopped
      end.outcome = RunOutcome::failed("push", "stopped");
      break;
    }
    while (next_offset < plan.end && shared_->held.size() < concurrency_.limit()) {
      start(next_number++, next_offset);
      next_offset += plan.size;
    }
    if (shared_->held.empty()) break;  // an empty plan
    const auto failed = std::find_if(shared_->held.begin(), shared_->held.end(),
                                     [](const auto& s) { return s->done && !s->outcome.ok(); });
    if (failed != shared_->held.end()) {  // the run fails with it: no need to deliver the pages before it
      end.outcome = (*failed)->outcome;
      break;
    }
    auto front = shared_->held.front();
    if (!front->done) {
      co_await wait_for_news();
      continue;
    }
    shared_->held.pop_front();
    auto step = co_await deliver_(front->page);
    if (!step.outcome.ok()) {
      end.outcome = std::move(step.outcome);
      break;
    }
    const std::uint64_t planned = front->page.offset + plan.size;
    const auto planned_next = planned < plan.end ? std::optional(planned) : std::nullopt;
    if (step.next != planned_next) {
      end.resume_from = step.next;  // off the plan (none: the server says it was the last page)
      break;
    }
    if (!planned_next) break;
  }
  co_return end;
}

}  // namespace sr::sync
