// The ingestion path between StreamStatus readers and the inventory: a
// bounded queue of parsed chunks and one writer thread that merges the
// chunks arriving within a short window into one transaction per tenant.
// When the queue is full, push() waits, so the stream stops reading and
// gRPC's flow control pushes back to the agent: nothing is buffered without
// bound. Memory held: at most queue_max_chunks + max_inflight chunks.
//
// Knobs (the core's names, from the environment):
//   SYNC_INGESTOR_COALESCE_MS         merge window after a chunk arrives (250)
//   SYNC_INGESTOR_QUEUE_MAX_CHUNKS    chunks parsed and waiting (10)
//   SYNC_INGESTOR_MAX_INFLIGHT        chunks merged into one write at most (4)
//   SYNC_INGESTOR_BATCH_CONCURRENCY   writers; SQLite has one, so above 1 is
//                                     clamped with a warning (1)
#pragma once

#include "tools/agent-gateway/inventory/inventory_store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sr::gateway::inventory {

struct IngestorOptions {
  std::chrono::milliseconds coalesce{250};
  std::size_t queue_max_chunks = 10;
  std::size_t max_inflight = 4;
  std::size_t batch_concurrency = 1;
  std::function<void()> before_write;  // test hook: a slow database

  // Each bad or clamped value adds a warning naming the variable.
  static IngestorOptions from_environment(std::vector<std::string>& warnings);
};

// Shared by the chunks of one stream: the writer records the first write
// that failed, and wakes the stream once its end is committed.
struct IngestReceipt;

struct IngestChunk {
  std::string tenant;
  std::vector<IncomingDevice> devices;
  std::shared_ptr<IngestReceipt> receipt;  // optional: the stream this chunk belongs to
};

struct IngestCounters {
  std::uint64_t chunks_queued = 0, chunks_written = 0, transactions = 0, devices_written = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t pushes_delayed = 0;  // pushes that found the queue full and waited (backpressure)
  // Chunks waiting for the writer. Exact at rest; while chunks move it may
  // read one high (a sender hears "queued" before the writer counts its take).
  std::uint64_t queue_depth = 0, max_queue_depth = 0;
  ApplyResult totals;
  std::string last_error;
};

class Ingestor {
 public:
  Ingestor(InventoryStore& store, IngestorOptions options);
  ~Ingestor();  // stop()
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  static std::shared_ptr<IngestReceipt> new_receipt();
  // Queues a chunk; waits while the queue is full. False once stopped.
  boost::asio::awaitable<bool> push(IngestChunk chunk);
  // Waits until every chunk pushed with `receipt` is committed (the queue is
  // FIFO: an end marker behind them is enough). "" when all were written, else
  // why not. A stream is acknowledged only after this.
  boost::asio::awaitable<std::string> committed(std::string tenant,
                                                std::shared_ptr<IngestReceipt> receipt);
  // Accepts nothing more, writes what is queued, joins the writer.
  void stop();
  IngestCounters counters() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace sr::gateway::inventory
