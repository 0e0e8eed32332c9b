// The gRPC service of the reference agent-gateway: Hello, GetConfig,
// PushStatus, StreamStatus and ControlStream as the wire contract describes
// them, scoped by the tenant of the verified client certificate. A thin layer:
// calls are admitted by CallAdmission, config and ControlStream pushes come
// from the ControlHub (shared with the admin API), StreamStatus chunks go to
// the ChunkIntake. Handlers are coroutines on the net/ server bridge.
#pragma once

#include "monitoring.grpc.pb.h"
#include "tools/agent-gateway/control/control_hub.hpp"
#include "tools/agent-gateway/gateway_state.hpp"
#include "tools/agent-gateway/intake/chunk_intake.hpp"
#include "tools/agent-gateway/service/call_admission.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <string>

namespace sr::gateway {

struct GatewayOptions {
  std::string gateway_id = "agent-gateway-ref";
  ConfigIntervals intervals;
  IntakeOptions intake;
  // A stream's first message (ControlStream hello, StreamStatus's first
  // chunk) must arrive within this, else the stream is ended.
  std::chrono::milliseconds first_message_timeout{10'000};
  // Concurrent calls (unary and streams) of the whole gateway and of one
  // authenticated agent; beyond them RESOURCE_EXHAUSTED.
  CallLimits calls;
};

class GatewayService final : public monitoring::AgentGatewayService::CallbackService {
 public:
  GatewayService(boost::asio::any_io_executor ex, GatewayOptions options, const ClientVerifier& verifier,
                 ControlHub& hub, ChunkIntake& intake, GatewayState& state);
  ~GatewayService() override;

  grpc::ServerUnaryReactor* Hello(grpc::CallbackServerContext* ctx, const monitoring::AgentHelloRequest* req,
                                  monitoring::AgentHelloResponse* resp) override;
  grpc::ServerUnaryReactor* GetConfig(grpc::CallbackServerContext* ctx, const monitoring::AgentConfigRequest* req,
                                      monitoring::AgentConfigResponse* resp) override;
  grpc::ServerUnaryReactor* PushStatus(grpc::CallbackServerContext* ctx,
                                       const monitoring::GatewayStatusRequest* req,
                                       monitoring::GatewayStatusResponse* resp) override;
  grpc::ServerReadReactor<monitoring::GatewayStatusChunk>* StreamStatus(
      grpc::CallbackServerContext* ctx, monitoring::GatewayStatusResponse* resp) override;
  grpc::ServerBidiReactor<monitoring::ControlStreamRequest, monitoring::ControlStreamResponse>*
  ControlStream(grpc::CallbackServerContext* ctx) override;

 private:
  struct Calls;  // the coroutine bodies, kept out of this header

  // DEADLINE_EXCEEDED for a stream whose first message did not come in time (counted).
  grpc::Status first_message_late(const char* rpc);
  // A heartbeat named more sources than kept: logged once per agent.
  void sources_dropped(const AgentKey& key, std::size_t dropped);

  boost::asio::any_io_executor ex_;
  GatewayOptions options_;
  CallAdmission admission_;
  ControlHub& hub_;
  ChunkIntake& intake_;
  GatewayState& state_;
  std::mutex logged_mu_;
  std::set<AgentKey> sources_cap_logged_;  // under logged_mu_
};

}  // namespace sr::gateway
