// Delivers completed runs to the gateway: one StreamStatus per run, one
// chunk written at a time (the next write starts only when gRPC has taken
// the previous one: HTTP/2 flow control from the gateway slows us here).
//
// Delivery: a run stays queued until the gateway acknowledges its stream; a
// failed stream (gateway away, RPC error) is sent again on the next session;
// a newer complete run of the same source replaces an older unsent one
// (latest snapshot wins); a run the gateway refuses as invalid is dropped
// with an error, never retried in a loop.
#pragma once

#include "agent/gateway/agent_identity.hpp"
#include "monitoring.grpc.pb.h"
#include "sync/runtime/completed_run.hpp"
#include "sync/runtime/sync_stats.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace sr::agent {

// Message compression of every StreamStatus call (bootstrap grpc_compression);
// the control plane's calls are never compressed.
enum class StreamCompression { none, gzip };
// "gzip" is gzip, anything else none (the bootstrap has checked the value).
StreamCompression stream_compression(const std::string& bootstrap_value);

// The pause after a failed stream: `initial`, doubling up to `max`.
struct SenderRetry {
  std::chrono::milliseconds initial{5000}, max{60000};
};

class Sender {
 public:
  using Stub = monitoring::AgentGatewayService::Stub;

  // `messages` outlives the sender.
  Sender(boost::asio::any_io_executor ex, const MessageIdentity& messages, sync::SyncStats& stats,
         SenderRetry retry = {}, StreamCompression compression = StreamCompression::none);

  // From any thread.
  void deliver(std::shared_ptr<sync::CompletedRun> run);
  // The current session's stub (null: no session). From any thread.
  void set_link(std::shared_ptr<Stub> stub, std::string gateway_id);
  // From any thread: streams started from now on use `compression` (SIGHUP).
  void set_compression(StreamCompression compression);
  // Finish the stream in flight, start no other; run() then returns.
  void drain();

  // Runs until cancelled or drained; spawn it on executor().
  boost::asio::awaitable<void> run();
  boost::asio::strand<boost::asio::any_io_executor> executor() const { return strand_; }

  std::size_t queued() const noexcept { return queued_; }
  // Prometheus text: queue length.
  std::string metrics_text() const;

 private:
  struct Outcome {
    bool ok = false, retry = false;
    std::string error;
    std::uint64_t chunks = 0, bytes = 0;
  };
  boost::asio::awaitable<Outcome> send(const sync::CompletedRun& run, std::shared_ptr<Stub> stub,
                                       std::string gateway_id);
  std::shared_ptr<sync::CompletedRun> take_next();
  void wake();

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  const MessageIdentity& messages_;
  sync::SyncStats& stats_;
  const SenderRetry retry_;
  // On strand_ only:
  std::map<std::string, std::shared_ptr<sync::CompletedRun>> pending_;  // by source
  std::shared_ptr<Stub> stub_;
  std::string gateway_id_;
  std::uint64_t link_generation_ = 0;
  bool draining_ = false;
  StreamCompression compression_;
  boost::asio::steady_timer wake_;
  std::atomic<std::size_t> queued_{0};
};

}  // namespace sr::agent
