// A scriptable AgentGatewayService on the server bridge, for exercising the
// client bridge against a real in-process gRPC server on loopback.
//
// Behaviour is chosen by the request's agent_id:
//   Hello:        "ok" answers; "status:N" fails with code N; "hang" waits until
//                 cancelled; "throw" throws from the handler.
//   StreamStatus: "slow" reads one chunk per millisecond; "stall" reads nothing
//                 until cancelled; "reject:N" fails INVALID_ARGUMENT after N
//                 chunks; anything else reads at full speed.
//   ControlStream: labels["pushes"] configs are pushed after the hello, each
//                 must be acked; "hold" never writes and waits for the client.
#pragma once

#include "monitoring.grpc.pb.h"

#include "tests/support/wait.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

namespace sr::test {

class TestService final : public monitoring::AgentGatewayService::CallbackService {
 public:
  explicit TestService(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  grpc::ServerUnaryReactor* Hello(grpc::CallbackServerContext* ctx,
                                  const monitoring::AgentHelloRequest* req,
                                  monitoring::AgentHelloResponse* resp) override;
  grpc::ServerReadReactor<monitoring::GatewayStatusChunk>* StreamStatus(
      grpc::CallbackServerContext* ctx, monitoring::GatewayStatusResponse* resp) override;
  grpc::ServerBidiReactor<monitoring::ControlStreamRequest, monitoring::ControlStreamResponse>*
  ControlStream(grpc::CallbackServerContext* ctx) override;

  // Observations, safe from any thread.
  EventCounter calls_waiting;     // a call is parked until cancelled
  EventCounter calls_cancelled;   // a parked call saw its cancellation
  EventCounter streams_finished;  // a StreamStatus or ControlStream handler returned
  std::atomic<int> chunks_read{0};
  std::atomic<bool> chunk_order_ok{true};
  std::atomic<int> acks_in_order{0};

 private:
  boost::asio::any_io_executor ex_;
};

}  // namespace sr::test
