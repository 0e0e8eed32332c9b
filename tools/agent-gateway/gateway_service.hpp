// The gRPC service of the reference agent-gateway: Hello, GetConfig,
// PushStatus, StreamStatus and ControlStream as the wire contract describes
// them, scoped by the tenant of the verified client certificate. Handlers are
// coroutines on the net/ server bridge; StreamStatus reads the next chunk only
// once the inventory's queue has room, so a slow database slows the client.
#pragma once

#include "monitoring.grpc.pb.h"
#include "tools/agent-gateway/config/config_store.hpp"
#include "tools/agent-gateway/gateway_state.hpp"
#include "tools/agent-gateway/identity/client_verifier.hpp"
#include "tools/agent-gateway/inventory/ingestor.hpp"
#include "tools/agent-gateway/streams/stream_rules.hpp"
#include "tools/agent-gateway/streams/tenant_sink.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace sr::gateway {

struct GatewayOptions {
  std::string gateway_id = "agent-gateway-ref";
  int heartbeat_interval_sec = 30;
  int config_poll_interval_sec = 300;
  std::chrono::milliseconds sink_delay{0};  // test hook: pretend the sink is slow
  StreamLimits limits;
  // A stream's first message (ControlStream hello, StreamStatus's first
  // chunk) must arrive within this, else the stream is ended.
  std::chrono::milliseconds first_message_timeout{10'000};
  // Concurrent calls (unary and streams) of the whole gateway and of one
  // authenticated agent; beyond them RESOURCE_EXHAUSTED.
  std::size_t max_calls = 1024;
  std::size_t max_calls_per_agent = 64;
};

class GatewayService final : public monitoring::AgentGatewayService::CallbackService {
 public:
  GatewayService(boost::asio::any_io_executor ex, GatewayOptions options,
                 const ClientVerifier& verifier, ConfigStore& store, TenantSink* sink,
                 GatewayState& state);
  ~GatewayService() override;

  grpc::ServerUnaryReactor* Hello(grpc::CallbackServerContext* ctx,
                                  const monitoring::AgentHelloRequest* req,
                                  monitoring::AgentHelloResponse* resp) override;
  grpc::ServerUnaryReactor* GetConfig(grpc::CallbackServerContext* ctx,
                                      const monitoring::AgentConfigRequest* req,
                                      monitoring::AgentConfigResponse* resp) override;
  grpc::ServerUnaryReactor* PushStatus(grpc::CallbackServerContext* ctx,
                                       const monitoring::GatewayStatusRequest* req,
                                       monitoring::GatewayStatusResponse* resp) override;
  grpc::ServerReadReactor<monitoring::GatewayStatusChunk>* StreamStatus(
      grpc::CallbackServerContext* ctx, monitoring::GatewayStatusResponse* resp) override;
  grpc::ServerBidiReactor<monitoring::ControlStreamRequest, monitoring::ControlStreamResponse>*
  ControlStream(grpc::CallbackServerContext* ctx) override;

  // Rereads the store; pushes new config to the open control streams of the
  // tenants whose sources changed. Returns those tenants.
  std::vector<std::string> reload_store();
  // Runs `f` on the store under its lock: an admin edit reads, changes and
  // writes a tenant's file without losing a concurrent one. reload_store() after.
  void with_store(const std::function<void(ConfigStore&)>& f);

  // Queues a command for the agent's open ControlStream; the agent's ack and
  // result land in the state's command records.
  enum class CommandQueued { yes, no_stream, queue_full };
  CommandQueued send_command(const AgentKey& key, monitoring::CommandRequest command);

  // Accepted device updates go to the canonical inventory (set before the
  // server starts); a stream is acknowledged once its updates are committed.
  void set_ingestor(inventory::Ingestor* ingestor) { ingestor_ = ingestor; }

 private:
  struct ControlChannel;
  struct Calls;  // the coroutine bodies, kept out of this header
  class Admission;  // a call's place under the caps, released when it ends

  // Counts the call against the gateway's cap, authenticates it from the
  // TLS auth context (nothing of the request is read for that), then counts
  // it against its agent's cap. On any refusal the status says why.
  struct Admitted;
  Admitted admit(const grpc::CallbackServerContext& ctx, const std::string& claimed_agent_id,
                 const char* rpc);

  // The caller, or the status to reject it with. `claimed_agent_id` is what
  // the request says; it must equal the certificate's.
  Caller authenticate(const grpc::CallbackServerContext& ctx, const std::string& claimed_agent_id,
                      const char* rpc);
  // PERMISSION_DENIED (logged) when a request names an agent_id other than
  // the certificate's; an empty claim names none.
  grpc::Status check_claim(const Caller& caller, const grpc::CallbackServerContext& ctx,
                           const std::string& claimed_agent_id, const char* rpc);
  // DEADLINE_EXCEEDED for a stream whose first message did not come in time (counted).
  grpc::Status first_message_late(const char* rpc);
  void sources_dropped(const AgentKey& key, std::size_t dropped);
  AgentConfig config_for(const AgentKey& key);

  // The raw record (optional): one sink stream per StreamStatus call.
  struct Taken {
    grpc::Status status;
    std::uint64_t devices = 0;
    inventory::IngestChunk ingest;  // with an ingestor: the chunk's updates
  };
  std::unique_ptr<TenantSink::Stream> open_sink(const std::string& tenant,
                                                const std::string& agent_id);
  Taken take_chunk(TenantSink::Stream* out, const std::string& tenant,
                   const monitoring::GatewayStatusChunk& chunk);
  grpc::Status commit_sink(TenantSink::Stream& out);
  void abort_sink(TenantSink::Stream& out);

  std::shared_ptr<ControlChannel> open_channel(const AgentKey& key);
  void close_channel(const AgentKey& key, const std::shared_ptr<ControlChannel>& channel);
  void fill_config(const AgentKey& key, const std::string& agent_version,
                   monitoring::AgentConfigResponse& resp);

  boost::asio::any_io_executor ex_;
  GatewayOptions options_;
  const ClientVerifier& verifier_;
  std::mutex store_mu_;
  ConfigStore& store_;
  TenantSink* sink_;  // null: no raw record
  GatewayState& state_;
  inventory::Ingestor* ingestor_ = nullptr;
  std::mutex channels_mu_;
  std::multimap<AgentKey, std::shared_ptr<ControlChannel>> channels_;
  std::mutex calls_mu_;
  std::size_t calls_ = 0;
  std::map<AgentKey, std::size_t> agent_calls_;
  std::set<AgentKey> sources_cap_logged_;  // under calls_mu_
};

}  // namespace sr::gateway
