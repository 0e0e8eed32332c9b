// The chunk intake: what becomes of StreamStatus chunks once a caller is
// admitted. Each chunk is checked against the stream rules, its device
// updates parsed, written to the raw record (optional) and queued for the
// canonical inventory; the stream is accepted only once its updates are
// committed. Reading the next chunk waits while the inventory's queue is
// full, so a slow database slows the client (gRPC flow control).
#pragma once

#include "monitoring.pb.h"
#include "tools/agent-gateway/gateway_state.hpp"
#include "tools/agent-gateway/inventory/ingestor.hpp"
#include "tools/agent-gateway/streams/stream_rules.hpp"
#include "tools/agent-gateway/streams/tenant_sink.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace sr::gateway {

struct IntakeOptions {
  StreamLimits limits;
  std::chrono::milliseconds sink_delay{0};  // test hook: pretend the sink is slow
};

class ChunkIntake {
 public:
  ChunkIntake(TenantSink* sink, GatewayState& state, IntakeOptions options);

  // Accepted device updates go to the canonical inventory (set before the
  // server starts); a stream is acknowledged once its updates are committed.
  void set_ingestor(inventory::Ingestor* ingestor) { ingestor_ = ingestor; }

  class Stream;
  // One StreamStatus call of agent `key`; `who` names it in log lines. Null
  // (logged) when the raw record cannot open a file for it.
  std::unique_ptr<Stream> open(const AgentKey& key, std::string who,
                               const boost::asio::any_io_executor& ex);

 private:
  TenantSink* sink_;  // null: no raw record
  GatewayState& state_;
  IntakeOptions options_;
  inventory::Ingestor* ingestor_ = nullptr;
};

class ChunkIntake::Stream {
 public:
  Stream(ChunkIntake& intake, AgentKey key, std::string who, std::unique_ptr<TenantSink::Stream> out,
         const boost::asio::any_io_executor& ex);

  // Checks, records and queues one chunk: OK, or the status ending the stream.
  boost::asio::awaitable<grpc::Status> take(const monitoring::GatewayStatusChunk& chunk);
  // After the last chunk: the rules' end, the inventory's commit, the raw
  // record's; the stream then counts as accepted (logged).
  boost::asio::awaitable<grpc::Status> finish();
  // Ends the stream refused: the raw record dropped, counted, logged. Returns `status`.
  grpc::Status reject(grpc::Status status);

 private:
  // The chunk's sync results: raw record and inventory batch.
  struct Taken {
    grpc::Status status;
    std::uint64_t devices = 0;
    inventory::IngestChunk ingest;  // with an ingestor: the chunk's updates
  };
  Taken parse_chunk(const monitoring::GatewayStatusChunk& chunk);
  grpc::Status commit_sink();

  ChunkIntake& intake_;
  AgentKey key_;
  std::string who_;
  StreamRules rules_;
  std::unique_ptr<TenantSink::Stream> out_;
  std::shared_ptr<inventory::IngestReceipt> receipt_;
  std::uint64_t devices_ = 0;
  boost::asio::steady_timer pace_;
};

}  // namespace sr::gateway
