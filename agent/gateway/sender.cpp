#include "agent/gateway/sender.hpp"

#include "base/backoff.hpp"
#include "base/log/logger.hpp"
#include "base/prometheus_text.hpp"
#include "net/grpc_bridge/client_writer.hpp"
#include "sync/pipeline/chunk.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace sr::agent {

using sync::ChunkData;
using sync::CompletedRun;
using sync::SourceStats;
using sync::SyncMeta;

namespace asio = boost::asio;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

// Codes after which sending the same run again cannot succeed.
bool refused(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::OUT_OF_RANGE:
      return true;
    default:
      return false;
  }
}

asio::awaitable<bool> cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

}  // namespace

StreamCompression stream_compression(const std::string& bootstrap_value) {
  return bootstrap_value == "gzip" ? StreamCompression::gzip : StreamCompression::none;
}

Sender::Sender(asio::any_io_executor ex, const MessageIdentity& messages, sync::SyncStats& stats,
               SenderRetry retry, StreamCompression compression)
    : strand_(asio::make_strand(ex)), messages_(messages), stats_(stats), retry_(retry),
      compression_(compression), wake_(strand_) {
  wake_.expires_at(asio::steady_timer::time_point::max());
}

void Sender::set_compression(StreamCompression compression) {
  asio::post(strand_, [this, compression] { compression_ = compression; });
}

void Sender::wake() { wake_.cancel(); }

void Sender::deliver(std::shared_ptr<CompletedRun> run) {
  asio::post(strand_, [this, run = std::move(run)]() mutable {
    auto& slot = pending_[run->source];
    if (slot) {
      stats_.update(run->source, [](SourceStats& s) { ++s.runs_superseded; });
      sr::log::info(run->source, fmt::format("unsent run {} replaced by the newer run {}", slot->run_id, run->run_id));
    }
    slot = std::move(run);
    queued_ = pending_.size();
    wake();
  });
}

void Sender::set_link(std::shared_ptr<Stub> stub, std::string gateway_id) {
  asio::post(strand_, [this, stub = std::move(stub), gateway_id = std::move(gateway_id)]() mutable {
    stub_ = std::move(stub);
    gateway_id_ = std::move(gateway_id);
    ++link_generation_;
    wake();
  });
}

void Sender::drain() {
  asio::post(strand_, [this] {
    draining_ = true;
    wake();
  });
}

std::shared_ptr<CompletedRun> Sender::take_next() {
  auto oldest = pending_.end();
  for (auto it = pending_.begin(); it != pending_.end(); ++it)
    if (oldest == pending_.end() || it->second->sequence < oldest->second->sequence) oldest = it;
  if (oldest == pending_.end()) return nullptr;
  auto run = std::move(oldest->second);
  pending_.erase(oldest);
  queued_ = pending_.size();
  return run;
}

asio::awaitable<Sender::Outcome> Sender::send(const CompletedRun& run, std::shared_ptr<Stub> stub,
                                              std::string gateway_id) {
  using Writer = grpc_bridge::ClientWriter<monitoring::GatewayStatusChunk, monitoring::GatewayStatusResponse>;
  Outcome out;
  const auto total = static_cast<std::int32_t>(run.spool->chunks());
  // A deadline on every call, generous for a slow link: 1 min + 10 s a chunk.
  const auto deadline = 60s + 10s * total;
  // Per call: the channel (and so the control plane's calls) stays uncompressed.
  const bool gzip = compression_ == StreamCompression::gzip;
  auto writer = Writer::start(strand_, grpc_bridge::CallOptions::timeout(deadline),
                              [s = stub.get(), gzip](auto* ctx, auto* resp, auto* reactor) {
                                if (gzip) ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
                                s->async()->StreamStatus(ctx, resp, reactor);
                              });
  SyncMeta meta{run.sync_service_id, run.run_id, 0, total, run.spool->devices()};
  bool broken = false;
  ChunkData chunk;  // one read buffer for the whole run
  for (std::int32_t i = 0; i < total && !broken; ++i) {
    if (auto err = run.spool->read_into(static_cast<std::size_t>(i), chunk); !err.empty()) {
      writer.cancel();
      co_await writer.async_finish(use_awaitable);
      out.error = std::move(err);
      co_return out;  // the spool is damaged: resending cannot help
    }
    meta.chunk_index = i;
    auto message = sync::build_chunk_message(chunk, meta);
    const auto bytes = message.size();
    broken = !co_await writer.async_write(messages_.chunk(gateway_id, std::move(message), i, total),
                                          use_awaitable);
    if (!broken) {
      ++out.chunks;
      out.bytes += bytes;
    }
  }
  const grpc::Status status = co_await writer.async_finish(use_awaitable);
  if (status.ok()) {
    out.ok = true;
    co_return out;
  }
  out.error = fmt::format("StreamStatus: {} ({})", status.error_message(), static_cast<int>(status.error_code()));
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
    out.error += ": the gateway takes smaller chunks (SWEEP_RESULTS_MAX_CHUNK_BYTES)";
  out.retry = !refused(status.error_code());
  co_return out;
}

asio::awaitable<void> Sender::run() {
  base::Backoff retry({retry_.initial, retry_.max});
  asio::steady_timer pause(strand_);
  for (;;) {
    while (!draining_ && (!stub_ || pending_.empty())) {
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(asio::as_tuple(use_awaitable));
      if (co_await cancelled()) co_return;
    }
    if (draining_) co_return;
    auto run = take_next();
    const auto started = std::chrono::steady_clock::now();
    auto outcome = co_await send(*run, stub_, gateway_id_);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    stats_.update(run->source, [&](SourceStats& s) {
      s.chunks_sent += outcome.chunks;
      s.bytes_sent += outcome.bytes;
      if (outcome.ok) {
        ++s.runs_sent;
        s.devices_sent += run->spool->devices();
        s.last_send_error.clear();
      } else {
        ++s.send_failures;
        if (!outcome.retry) ++s.runs_dropped;
        s.last_send_error = outcome.error;
      }
    });
    if (outcome.ok) {
      const double since_start =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - run->started).count();
      sr::log::info(run->source, fmt::format("run {} delivered: {} devices in {} chunks, {:.1f} MiB in {:.2f} s "
                                             "({:.3f} s after the run started)",
                                             run->run_id, run->spool->devices(), outcome.chunks,
                                             static_cast<double>(outcome.bytes) / (1 << 20), secs, since_start));
      retry.reset();
      continue;
    }
    if (co_await cancelled()) co_return;
    if (!outcome.retry) {
      sr::log::error(run->source, fmt::format("run {} refused by the gateway, dropped: {}", run->run_id, outcome.error));
      continue;
    }
    if (!pending_.count(run->source)) pending_[run->source] = run;  // unless a newer run arrived
    queued_ = pending_.size();
    const auto wait = retry.next();
    sr::log::warn(run->source, fmt::format("run {} not delivered ({}): resending in {} ms", run->run_id,
                                           outcome.error, wait.count()));
    pause.expires_after(wait);
    co_await pause.async_wait(asio::as_tuple(use_awaitable));
    if (co_await cancelled()) co_return;
  }
}

std::string Sender::metrics_text() const {
  return base::prometheus::Writer()
      .single("serviceradar_sync_runs_queued", base::prometheus::Type::gauge, "Complete runs waiting to be sent.",
              queued_.load())
      .take();
}

}  // namespace sr::agent
