// One run of one source, in four steps: produce (the adapter streams
// batches, of DeviceUpdates or of bodies already written, on a strand of its own, into a bounded channel),
// chunk (the runner's strand filters them by network_blacklist and cuts them
// into chunks), spool (each sealed chunk goes to the run's spool) and
// outcome (the stats and the log hear how the run ended; a complete run with
// devices is handed back for the sender). The runtime (sync_runtime) owns
// the schedule, the strands and the cancellation; a SourceRun lives in the
// coroutine frame of one run.
#pragma once

#include "sync/adapters/adapter.hpp"
#include "sync/device/network_filter.hpp"
#include "sync/pipeline/chunker.hpp"
#include "sync/pipeline/spool.hpp"
#include "sync/runtime/completed_run.hpp"
#include "sync/runtime/sync_stats.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

namespace sr::sync {

// "250 ms", "1.5 s": a duration as the runtime's log lines show it.
std::string seconds_text(std::chrono::nanoseconds d);

// What the adapter hands the chunker: either kind of batch. An empty
// DeviceBatch is the end marker (adapters' empty batches never get here).
using RunBatch = std::variant<DeviceBatch, EncodedBatch>;

// The run's bounded channel of batches, adapter to chunker. Thread-safe: the
// adapter runs on its own strand, so fetching or generating the next page
// overlaps with chunking the last one (two pool threads busy).
using RunChannel =
    boost::asio::experimental::concurrent_channel<void(boost::system::error_code, RunBatch)>;

// What a run works with; all of it outlives the run.
struct RunSetup {
  boost::asio::strand<boost::asio::any_io_executor> strand;  // the runner's: chunk, spool, time limit
  boost::asio::any_io_executor pool;  // the adapter gets a strand of its own here
  const SourceConfig& source;
  Adapter& adapter;
  const NetworkFilter& filter;
  SyncStats& stats;
  std::shared_ptr<SpoolStore> spool;
  ChunkLimits limits;
  std::chrono::nanoseconds time_limit;
};

class SourceRun {
 public:
  SourceRun(RunSetup setup, RunInfo info);

  // The whole run; the run to deliver, or null when it failed or found no
  // device (nothing to send: see README, "Empty runs"). Its sequence is the
  // caller's to set.
  boost::asio::awaitable<std::shared_ptr<CompletedRun>> execute();

 private:
  boost::asio::awaitable<RunOutcome> produce();
  boost::asio::awaitable<std::string> chunk();
  // Filters a batch's devices and adds them to the chunker; "" or why a sealed chunk could not be kept.
  std::string chunk_batch(const DeviceBatch& batch, Chunker& chunker);
  std::string chunk_batch(const EncodedBatch& batch, Chunker& chunker);
  std::string spool(ChunkData&& sealed, Chunker& chunker);
  boost::asio::awaitable<void> time_limit();
  boost::asio::awaitable<RunOutcome> race();
  std::shared_ptr<CompletedRun> outcome(const RunOutcome& outcome);
  void log_complete(const RunOutcome& outcome, const RunMeasures& measured) const;

  RunSetup setup_;
  RunInfo info_;
  std::shared_ptr<CompletedRun> run_;
  RunChannel channel_;
  std::uint64_t filtered_ = 0;
};

}  // namespace sr::sync
