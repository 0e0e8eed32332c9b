// An in-process gRPC server (the scriptable TestService) on 127.0.0.1 with a
// port chosen by the OS, a client stub to it, and the io_context pool both
// sides run on. Client coroutines run through run(), which waits with a bound.
#pragma once

#include "net/grpc_bridge/call_options.hpp"
#include "net/grpc_bridge/client_bidi.hpp"
#include "net/grpc_bridge/client_unary.hpp"
#include "net/grpc_bridge/client_writer.hpp"
#include "net/io_pool.hpp"
#include "tests/net/test_service.hpp"
#include "tests/support/wait.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <string>
#include <tuple>

namespace sr::test {

namespace asio = boost::asio;
using Stub = monitoring::AgentGatewayService::Stub;
using HelloResult = std::tuple<grpc::Status, monitoring::AgentHelloResponse>;

class BridgeFixture {
 public:
  BridgeFixture() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service);
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) fail_hard("test gRPC server did not start");
    pool_.start();
    stub = monitoring::AgentGatewayService::NewStub(
        grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  }

  ~BridgeFixture() {
    shutdown_server();
    work_.reset();
    pool_.join();  // returns only when every operation has completed
  }

  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  asio::any_io_executor executor() { return pool_.executor(); }
  bool on_pool_thread() { return pool_.executor().running_in_this_thread(); }

  // Ends every server call, cancelling those still running after `grace`.
  // Bounded: a hang in gRPC's shutdown fails the test.
  void shutdown_server(std::chrono::seconds grace = std::chrono::seconds(5)) {
    if (!server_) return;
    auto done = std::async(std::launch::async, [this, grace] {
      server_->Shutdown(std::chrono::system_clock::now() + grace);
    });
    get_bounded(done, "server shutdown");
    server_.reset();
  }

  template <class T>
  T run(asio::awaitable<T> coroutine) {
    auto f = asio::co_spawn(executor(), std::move(coroutine), asio::use_future);
    return get_bounded(f, "client coroutine");
  }

  // The unary call under test, as the agent will make it.
  asio::awaitable<HelloResult> hello(Stub* s, std::string agent_id, grpc_bridge::CallOptions o) {
    monitoring::AgentHelloRequest req;
    req.set_agent_id(std::move(agent_id));
    co_return co_await grpc_bridge::async_unary<monitoring::AgentHelloResponse>(
        co_await asio::this_coro::executor,
        [s](auto* ctx, auto* rq, auto* rs, auto done) {
          s->async()->Hello(ctx, rq, rs, std::move(done));
        },
        std::move(req), o, asio::use_awaitable);
  }

  grpc_bridge::ClientWriter<monitoring::GatewayStatusChunk, monitoring::GatewayStatusResponse>
  stream_status(grpc_bridge::CallOptions o) {
    return grpc_bridge::ClientWriter<monitoring::GatewayStatusChunk,
                                     monitoring::GatewayStatusResponse>::
        start(executor(), o, [s = stub.get()](auto* ctx, auto* resp, auto* reactor) {
          s->async()->StreamStatus(ctx, resp, reactor);
        });
  }

  grpc_bridge::ClientBidiStream<monitoring::ControlStreamRequest, monitoring::ControlStreamResponse>
  control_stream(grpc_bridge::CallOptions o) {
    return grpc_bridge::ClientBidiStream<monitoring::ControlStreamRequest,
                                         monitoring::ControlStreamResponse>::
        start(executor(), o, [s = stub.get()](auto* ctx, auto* reactor) {
          s->async()->ControlStream(ctx, reactor);
        });
  }

 private:
  net::IoPool pool_{2};
  asio::executor_work_guard<asio::io_context::executor_type> work_{pool_.executor()};
  int port_ = 0;

 public:
  TestService service{pool_.executor()};
  std::unique_ptr<Stub> stub;

 private:
  std::unique_ptr<grpc::Server> server_;
};

inline monitoring::GatewayStatusChunk chunk(const std::string& agent_id, int index,
                                            std::size_t payload_bytes) {
  monitoring::GatewayStatusChunk c;
  c.set_agent_id(agent_id);
  c.set_chunk_index(index);
  auto* svc = c.add_services();
  svc->set_service_name("sync");
  svc->set_message(std::string(payload_bytes, 'x'));
  return c;
}

}  // namespace sr::test
