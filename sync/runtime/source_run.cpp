#include "sync/runtime/source_run.hpp"

#include "base/clock.hpp"
#include "base/ids.hpp"
#include "base/log/logger.hpp"
#include "net/await_elsewhere.hpp"
#include "sync/device/device_update.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/multiple_exceptions.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace sr::sync {

namespace asio = boost::asio;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

std::string seconds_text(std::chrono::nanoseconds d) {
  if (d < std::chrono::seconds(1))
    return fmt::format("{} ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  return fmt::format("{:.1f} s", std::chrono::duration<double>(d).count());
}

namespace {

// The adapter's side of the run's bounded channel.
class ChannelSink final : public DeviceSink {
 public:
  ChannelSink(RunChannel& ch, SyncStats& stats, const std::string& source)
      : ch_(ch), stats_(stats), source_(source) {}
  asio::awaitable<bool> push(DeviceBatch batch) override { return send(std::move(batch)); }
  asio::awaitable<bool> push(EncodedBatch batch) override { return send(std::move(batch)); }
  void expect_total(std::uint64_t total) override {
    stats_.update(source_, [&](SourceStats& s) { s.expected_devices = total; });
  }

 private:
  template <class Batch>
  asio::awaitable<bool> send(Batch batch) {
    if (batch.empty()) co_return true;  // empty is the end marker
    auto [ec] = co_await ch_.async_send(boost::system::error_code{}, RunBatch(std::move(batch)),
                                        asio::as_tuple(use_awaitable));
    co_return !ec;
  }

  RunChannel& ch_;
  SyncStats& stats_;
  const std::string& source_;
};

// Why a run's coroutines threw: "cancelled" when stopped (both halves of a
// run see the cancellation, so it may come as multiple_exceptions).
std::string run_failure(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const asio::multiple_exceptions& m) {
    return run_failure(m.first_exception());
  } catch (const boost::system::system_error& s) {
    return s.code() == asio::error::operation_aborted ? "cancelled" : s.what();
  } catch (const std::exception& x) {
    return x.what();
  }
}

}  // namespace

SourceRun::SourceRun(RunSetup setup, RunInfo info)
    : setup_(std::move(setup)), info_(std::move(info)), run_(std::make_shared<CompletedRun>()),
      channel_(setup_.strand, 2) {
  const auto& src = setup_.source;
  run_->source = src.name;
  run_->sync_service_id = src.sync_service_id.empty() ? src.name : src.sync_service_id;
  run_->run_id = base::new_uuid_v4();
  run_->started = Clock::now();
  run_->spool = std::make_unique<RunSpool>(setup_.spool);
  setup_.stats.update(src.name, [](SourceStats& s) { s.run_started(); });
  sr::log::debug(src.name, "run " + run_->run_id + " started");
}

asio::awaitable<std::shared_ptr<CompletedRun>> SourceRun::execute() {
  const auto ended = co_await race();
  co_return outcome(ended);
}

// Produce and chunk side by side, against the run's time limit.
asio::awaitable<RunOutcome> SourceRun::race() {
  try {
    using namespace asio::experimental::awaitable_operators;
    auto producer = net::await_elsewhere(asio::make_strand(setup_.pool), produce());
    auto ended = co_await ((std::move(producer) && chunk()) || time_limit());
    if (ended.index() == 1)
      co_return RunOutcome::failed("time limit",
                                   "run time limit of " + seconds_text(setup_.time_limit) + " reached");
    auto& [produced, spool_error] = std::get<0>(ended);
    co_return !spool_error.empty() ? RunOutcome::failed("spool", spool_error) : std::move(produced);
  } catch (...) {
    co_return RunOutcome::failed("cancelled", run_failure(std::current_exception()));
  }
}

asio::awaitable<RunOutcome> SourceRun::produce() {
  ChannelSink sink(channel_, setup_.stats, setup_.source.name);
  auto outcome = co_await setup_.adapter.run(info_, sink);
  if (outcome.ok()) co_await channel_.async_send(boost::system::error_code{}, RunBatch(DeviceBatch{}),
                                                 asio::as_tuple(use_awaitable));  // end marker
  else channel_.close();
  co_return outcome;
}

// "" or why the run's chunks could not be kept.
asio::awaitable<std::string> SourceRun::chunk() {
  Chunker chunker(setup_.limits, sync_meta_worst_case(run_->sync_service_id, run_->run_id));
  for (;;) {
    auto [ec, batch] = co_await channel_.async_receive(asio::as_tuple(use_awaitable));
    const auto taken = std::visit([](const auto& b) { return b.size(); }, batch);
    if (ec || taken == 0) break;
    auto err = std::visit([&](const auto& b) { return chunk_batch(b, chunker); }, batch);
    if (!err.empty()) {
      channel_.close();
      co_return err;
    }
    setup_.stats.update(setup_.source.name, [&](SourceStats& s) { s.devices_so_far += taken; });
  }
  if (auto last = chunker.finish()) co_return spool(std::move(*last), chunker);
  co_return std::string();
}

std::string SourceRun::chunk_batch(const DeviceBatch& batch, Chunker& chunker) {
  for (const auto& d : batch) {
    if (setup_.filter.blocks(d.ip)) {
      ++filtered_;
      continue;
    }
    if (auto sealed = chunker.add(d))
      if (auto err = spool(std::move(*sealed), chunker); !err.empty()) return err;
  }
  return {};
}

std::string SourceRun::chunk_batch(const EncodedBatch& batch, Chunker& chunker) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (setup_.filter.blocks(batch.ip(i))) {
      ++filtered_;
      continue;
    }
    if (auto sealed = chunker.add_body(batch.body(i)))
      if (auto err = spool(std::move(*sealed), chunker); !err.empty()) return err;
  }
  return {};
}

std::string SourceRun::spool(ChunkData&& sealed, Chunker& chunker) {
  if (auto err = run_->spool->add(std::move(sealed)); !err.empty()) return "spool: " + err;
  chunker.recycle(std::move(sealed.bodies));  // spilled: its buffer is free again
  return {};
}

asio::awaitable<void> SourceRun::time_limit() {
  asio::steady_timer t(setup_.strand);
  t.expires_after(setup_.time_limit);
  co_await t.async_wait(use_awaitable);
}

// The stats and the log hear how the run ended.
std::shared_ptr<CompletedRun> SourceRun::outcome(const RunOutcome& outcome) {
  run_->finished = Clock::now();
  RunMeasures measured;
  measured.seconds = std::chrono::duration<double>(run_->finished - run_->started).count();
  measured.devices = run_->spool->devices();
  measured.chunks = run_->spool->chunks();
  measured.filtered = filtered_;
  // A failed run's chunks are released before anyone hears of the failure.
  if (!outcome.ok()) run_->spool.reset();
  measured.ended_unix = base::unix_now();
  setup_.stats.update(setup_.source.name, [&](SourceStats& s) { s.record(outcome, measured); });
  if (!outcome.ok()) {
    sr::log::error(setup_.source.name, fmt::format("run {} failed after {:.1f} s: {}", run_->run_id,
                                                   measured.seconds, outcome.error));
    return nullptr;
  }
  log_complete(outcome, measured);
  if (measured.devices == 0) return nullptr;  // nothing to send: see README, "Empty runs"
  return std::move(run_);
}

void SourceRun::log_complete(const RunOutcome& outcome, const RunMeasures& measured) const {
  sr::log::info(setup_.source.name,
                fmt::format("run {} complete: {} devices in {} chunks, {:.2f} s{}{}", run_->run_id,
                            measured.devices, measured.chunks, measured.seconds,
                            measured.filtered
                                ? fmt::format(" ({} filtered by network_blacklist)", measured.filtered)
                                : "",
                            outcome.skipped
                                ? fmt::format(" (partial: {} records or fields left out)", outcome.skipped)
                                : ""));
}

}  // namespace sr::sync
