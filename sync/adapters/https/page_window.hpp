// Pages of one source fetched several at a time and handed on strictly in
// order, whole. Once the first page says how many devices there are, the
// offsets of the others are known (Armis from/length, NetBox offset/limit):
// up to PageConcurrency::limit() of them are held at once (in flight, or
// fetched and waiting for their turn), each parsed as it arrives into a
// reading of its own. A failed page fails the run (its retries happened
// inside its fetch, keeping its slot); a page whose `next` is not the
// planned one (the inventory changed size, the server pages differently)
// ends the plan: the pages after it are dropped and the caller goes on from
// what the server said, one page at a time. Devices are delivered once.
#pragma once

#include "sync/adapters/adapter.hpp"
#include "sync/adapters/https/https_source.hpp"
#include "sync/adapters/https/page_concurrency.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace sr::sync {

struct WindowPage {
  std::uint64_t number = 0;  // 1-based within the run (for messages)
  std::uint64_t offset = 0;  // from / offset of its request
  std::unique_ptr<PageReading> reading;
};

// Offsets first, first + size, ... below end; `first_number` is the number
// of the page at `first`.
struct PagePlan {
  std::uint64_t first = 0, end = 0, size = 1, first_number = 1;
};

// A delivered page: how the caller took it and where the server says the
// next page starts (none: it was the last).
struct PageStep {
  RunOutcome outcome;
  std::optional<std::uint64_t> next;
};

struct WindowEnd {
  RunOutcome outcome;
  // The plan did not hold: go on from here, page by page (none: finished).
  std::optional<std::uint64_t> resume_from;
};

class PageWindow {
 public:
  using NewReading = std::function<std::unique_ptr<PageReading>()>;
  // Fetches the page into its reading (retries included).
  using Fetch = std::function<boost::asio::awaitable<RunOutcome>(WindowPage&)>;
  // Takes a fetched page, in order (pushes its devices into the pipeline).
  using Deliver = std::function<boost::asio::awaitable<PageStep>(WindowPage&)>;

  PageWindow(PageConcurrency& concurrency, NewReading new_reading, Fetch fetch, Deliver deliver);
  ~PageWindow();

  // Runs the plan; returns once every page it started has finished (on
  // cancellation too: no fetch outlives it).
  boost::asio::awaitable<WindowEnd> run(PagePlan plan);

  // Pages fetched at once at most, over the window's life.
  unsigned peak_in_flight() const noexcept { return peak_; }

 private:
  struct Slot;
  struct Shared;
  // Starts pages, waits for the next in order, delivers it; the outcome.
  boost::asio::awaitable<WindowEnd> drive(const PagePlan& plan);
  void start(std::uint64_t number, std::uint64_t offset);
  boost::asio::awaitable<void> fetch_one(std::shared_ptr<Slot> slot);
  boost::asio::awaitable<void> wait_for_news();
  boost::asio::awaitable<void> stop_all();
  unsigned in_flight() const;

  PageConcurrency& concurrency_;
  NewReading new_reading_;
  Fetch fetch_;
  Deliver deliver_;
  std::shared_ptr<Shared> shared_;
  unsigned peak_ = 0;
};

}  // namespace sr::sync
