// The unary bridge against a real in-process gRPC server on loopback.
#include "tests/net/bridge_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>

#include <vector>

using namespace sr::test;
using namespace std::chrono_literals;
using sr::grpc_bridge::CallOptions;

namespace {

struct Observed {
  grpc::Status status;
  monitoring::AgentHelloResponse reply;
  bool resumed_on_pool = false;
};

asio::awaitable<Observed> observe_hello(BridgeFixture* fx, Stub* stub, std::string id,
                                        CallOptions opts) {
  auto [status, reply] = co_await fx->hello(stub, std::move(id), opts);
  co_return Observed{std::move(status), std::move(reply), fx->on_pool_thread()};
}

}  // namespace

TEST_CASE("unary call returns the reply and resumes on the io_context, not a gRPC thread",
          "[grpc_bridge][unary]") {
  BridgeFixture fx;
  auto got = fx.run(observe_hello(&fx, fx.stub.get(), "ok", CallOptions::timeout(10s)));
  REQUIRE(got.status.ok());
  CHECK(got.reply.accepted());
  CHECK(got.reply.agent_id() == "ok");
  CHECK(got.reply.heartbeat_interval_sec() == 30);
  CHECK(got.resumed_on_pool);
}

TEST_CASE("unary call delivers every status code the server returns, with its message",
          "[grpc_bridge][unary]") {
  BridgeFixture fx;
  for (int code = 1; code <= 16; ++code) {
    INFO("status code " << code);
    auto got = fx.run(observe_hello(&fx, fx.stub.get(), "status:" + std::to_string(code),
                                    CallOptions::timeout(10s)));
    CHECK(got.status.error_code() == static_cast<grpc::StatusCode>(code));
    CHECK(got.status.error_message() == "scripted " + std::to_string(code));
    CHECK(got.resumed_on_pool);
  }
}

TEST_CASE("a server handler that throws answers INTERNAL naming the failure",
          "[grpc_bridge][unary][server]") {
  BridgeFixture fx;
  auto got = fx.run(observe_hello(&fx, fx.stub.get(), "throw", CallOptions::timeout(10s)));
  CHECK(got.status.error_code() == grpc::StatusCode::INTERNAL);
  CHECK(got.status.error_message() == "handler failed: boom");
}

TEST_CASE("unary call to a port nobody listens on fails UNAVAILABLE", "[grpc_bridge][unary]") {
  BridgeFixture fx;
  // Port 1 is privileged and unused here: the connection is refused at once.
  auto dead = monitoring::AgentGatewayService::NewStub(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  auto got = fx.run(observe_hello(&fx, dead.get(), "ok", CallOptions::timeout(10s)));
  CHECK(got.status.error_code() == grpc::StatusCode::UNAVAILABLE);
  CHECK(got.resumed_on_pool);
}

TEST_CASE("unary call past its deadline fails DEADLINE_EXCEEDED and the server sees it end",
          "[grpc_bridge][unary]") {
  BridgeFixture fx;
  auto got = fx.run(observe_hello(&fx, fx.stub.get(), "hang", CallOptions::timeout(200ms)));
  CHECK(got.status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED);
  fx.service.calls_cancelled.wait_for_at_least(1, "server handler cancelled by the deadline");
}

TEST_CASE("cancelling the awaiting coroutine cancels the call mid-flight",
          "[grpc_bridge][unary][cancel]") {
  BridgeFixture fx;
  auto strand = asio::make_strand(fx.executor());
  asio::cancellation_signal cancel;
  auto result = asio::co_spawn(
      strand, observe_hello(&fx, fx.stub.get(), "hang", CallOptions::timeout(1h)),
      asio::bind_cancellation_slot(cancel.slot(), asio::use_future));

  fx.service.calls_waiting.wait_for_at_least(1, "call reached the server");
  asio::post(strand, [&] { cancel.emit(asio::cancellation_type::terminal); });

  auto got = get_bounded(result, "cancelled call completes");
  CHECK(got.status.error_code() == grpc::StatusCode::CANCELLED);
  CHECK(got.resumed_on_pool);
  fx.service.calls_cancelled.wait_for_at_least(1, "server handler saw the cancellation");
}

TEST_CASE("many concurrent unary calls all complete on the pool", "[grpc_bridge][unary]") {
  BridgeFixture fx;
  std::vector<std::future<Observed>> calls;
  for (int i = 0; i < 200; ++i)
    calls.push_back(asio::co_spawn(
        fx.executor(), observe_hello(&fx, fx.stub.get(), "ok", CallOptions::timeout(30s)),
        asio::use_future));
  int ok = 0, on_pool = 0;
  for (auto& c : calls) {
    auto got = get_bounded(c, "concurrent call");
    ok += got.status.ok() ? 1 : 0;
    on_pool += got.resumed_on_pool ? 1 : 0;
  }
  CHECK(ok == 200);
  CHECK(on_pool == 200);
}
