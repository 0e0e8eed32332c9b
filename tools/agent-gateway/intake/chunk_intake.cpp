#include "tools/agent-gateway/intake/chunk_intake.hpp"

#include "base/log/logger.hpp"
#include "tools/agent-gateway/service/call_log.hpp"
#include "tools/agent-gateway/streams/device_batch.hpp"
#include "base/clock.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace sr::gateway {

namespace asio = boost::asio;
using asio::use_awaitable;
using monitoring::GatewayStatusChunk;

ChunkIntake::ChunkIntake(TenantSink* sink, GatewayState& state, IntakeOptions options)
    : sink_(sink), state_(state), options_(options) {}

std::unique_ptr<ChunkIntake::Stream> ChunkIntake::open(const AgentKey& key, std::string who,
                                                       const asio::any_io_executor& ex) {
  std::unique_ptr<TenantSink::Stream> out;
  if (sink_) {
    auto opened = sink_->open(key.tenant, key.agent_id);
    if (!opened) {
      log::error({}, opened.error());
      return nullptr;
    }
    out = std::move(*opened);
  }
  return std::make_unique<Stream>(*this, key, std::move(who), std::move(out), ex);
}

ChunkIntake::Stream::Stream(ChunkIntake& intake, AgentKey key, std::string who,
                            std::unique_ptr<TenantSink::Stream> out, const asio::any_io_executor& ex)
    : intake_(intake),
      key_(std::move(key)),
      who_(std::move(who)),
      rules_(key_.agent_id, intake.options_.limits),  // the chunks' agent_id, against the certificate's
      out_(std::move(out)),
      receipt_(intake.ingestor_ ? inventory::Ingestor::new_receipt() : nullptr),
      pace_(ex) {}

ChunkIntake::Stream::Taken ChunkIntake::Stream::parse_chunk(const GatewayStatusChunk& chunk) {
  Taken taken;
  taken.ingest.tenant = key_.tenant;
  for (const auto& svc : chunk.services()) {
    if (!carries_sync_results(svc.service_type(), svc.service_name())) continue;
    auto devices = parse_devices(svc.message(), chunk.chunk_index());
    if (!devices) {
      taken.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, devices.error());
      return taken;
    }
    if (out_) {
      if (auto error = out_->append(*devices); !error.empty()) {
        log::error({}, error);
        taken.status = grpc::Status(grpc::StatusCode::INTERNAL, "the gateway could not store the chunk");
        return taken;
      }
    }
    taken.devices += devices->size();
    if (intake_.ingestor_) {
      for (std::size_t i = 0; i < devices->size(); ++i) {
        std::string error;
        if (auto d = inventory::incoming_device((*devices)[i], error))
          taken.ingest.devices.push_back(std::move(*d));
      }
    }
  }
  return taken;
}

asio::awaitable<grpc::Status> ChunkIntake::Stream::take(const GatewayStatusChunk& chunk) {
  if (auto bad = rules_.accept(chunk)) co_return *bad;
  auto taken = parse_chunk(chunk);
  if (!taken.status.ok()) co_return taken.status;
  devices_ += taken.devices;
  // Waits while the inventory's queue is full: this stream stops reading,
  // and gRPC's flow control slows the agent.
  taken.ingest.receipt = receipt_;
  auto* ingestor = intake_.ingestor_;
  if (ingestor && !co_await ingestor->push(std::move(taken.ingest)))
    co_return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is stopping");
  intake_.state_.chunk_received(key_.tenant);
  if (intake_.options_.sink_delay.count() > 0) {
    pace_.expires_after(intake_.options_.sink_delay);
    co_await pace_.async_wait(use_awaitable);
  }
  co_return grpc::Status::OK;
}

grpc::Status ChunkIntake::Stream::commit_sink() {
  if (auto error = out_->commit(); !error.empty()) {
    log::error({}, error);
    return grpc::Status(grpc::StatusCode::INTERNAL, "the gateway could not store the stream");
  }
  return grpc::Status::OK;
}

asio::awaitable<grpc::Status> ChunkIntake::Stream::finish() {
  if (auto end = rules_.finish(); !end.ok()) co_return end;
  // Acknowledged only once stored: an agent told "received" may forget the run.
  if (auto* ingestor = intake_.ingestor_) {
    if (auto why = co_await ingestor->committed(key_.tenant, receipt_); !why.empty()) {
      log::error({}, fmt::format("inventory: stream from {} not stored: {}", who_, why));
      co_return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "the gateway could not store the stream; send it again");
    }
  }
  if (out_)
    if (auto committed = commit_sink(); !committed.ok()) co_return committed;
  const auto chunks = static_cast<std::uint64_t>(rules_.chunks_seen());
  intake_.state_.stream_accepted(key_.tenant, devices_);
  intake_.state_.stream_ended(key_, {base::unix_now(), "accepted", chunks, devices_});
  log::info({}, fmt::format("StreamStatus from {}: {} chunks, {} devices", who_, chunks, devices_));
  co_return grpc::Status::OK;
}

grpc::Status ChunkIntake::Stream::reject(grpc::Status status) {
  if (out_) out_->abort();
  const char* code = code_name(status.error_code());
  intake_.state_.stream_rejected(key_.tenant, code, status.error_message());
  intake_.state_.stream_ended(key_, {base::unix_now(), code, static_cast<std::uint64_t>(rules_.chunks_seen()), devices_});
  log::warn({}, fmt::format("StreamStatus from {} rejected: {} {}", who_, code, status.error_message()));
  return status;
}

}  // namespace sr::gateway
