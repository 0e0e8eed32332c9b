// The bidi stream (ControlStream): config pushes read and acknowledged,
// protocol errors surfaced as status, cancellation of a pending read.
#include "tests/net/bridge_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <vector>

using namespace sr::test;
using namespace std::chrono_literals;
using sr::grpc_bridge::CallOptions;
using monitoring::ControlStreamRequest;

namespace {

ControlStreamRequest hello(const std::string& agent, int pushes) {
  ControlStreamRequest r;
  r.mutable_hello()->set_agent_id(agent);
  (*r.mutable_hello()->mutable_labels())["pushes"] = std::to_string(pushes);
  return r;
}

ControlStreamRequest ack(const std::string& version) {
  ControlStreamRequest r;
  r.mutable_config_ack()->set_config_version(version);
  return r;
}

struct Exchange {
  std::vector<std::string> versions_seen;
  bool last_read_ok = true;
  bool all_resumed_on_pool = true;
  grpc::Status status;
};

asio::awaitable<Exchange> ack_pushes(BridgeFixture* fx, ControlStreamRequest first, int reads) {
  co_await asio::this_coro::throw_if_cancelled(false);
  Exchange ex;
  auto stream = fx->control_stream(CallOptions::timeout(1h));
  co_await stream.async_write(std::move(first), asio::use_awaitable);
  for (int i = 0; i < reads; ++i) {
    auto [ok, msg] = co_await stream.async_read(asio::use_awaitable);
    ex.all_resumed_on_pool = ex.all_resumed_on_pool && fx->on_pool_thread();
    ex.last_read_ok = ok;
    if (!ok) break;
    ex.versions_seen.push_back(msg.config().config_version());
    co_await stream.async_write(ack(msg.config().config_version()), asio::use_awaitable);
  }
  ex.status = co_await stream.async_finish(asio::use_awaitable);
  co_return ex;
}

}  // namespace

TEST_CASE("pushed configs are read in order and each is acknowledged", "[grpc_bridge][bidi]") {
  BridgeFixture fx;
  auto ex = fx.run(ack_pushes(&fx, hello("agent-1", 5), 5));
  REQUIRE(ex.status.ok());
  CHECK(ex.versions_seen == std::vector<std::string>{"v0", "v1", "v2", "v3", "v4"});
  CHECK(ex.all_resumed_on_pool);
  CHECK(fx.service.acks_in_order == 5);
  fx.service.streams_finished.wait_for_at_least(1, "server saw the half-close");
}

TEST_CASE("a stream that does not start with hello fails with the server's reason",
          "[grpc_bridge][bidi]") {
  BridgeFixture fx;
  auto ex = fx.run(ack_pushes(&fx, ack("v9"), 1));
  CHECK_FALSE(ex.last_read_ok);
  CHECK(ex.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(ex.status.error_message() == "hello must be the first message");
}

TEST_CASE("cancelling a pending read ends the stream as CANCELLED on both sides",
          "[grpc_bridge][bidi][cancel]") {
  BridgeFixture fx;
  auto strand = asio::make_strand(fx.executor());
  asio::cancellation_signal cancel;
  auto result = asio::co_spawn(strand, ack_pushes(&fx, hello("hold", 0), 1),
                               asio::bind_cancellation_slot(cancel.slot(), asio::use_future));
  fx.service.calls_waiting.wait_for_at_least(1, "server holding the stream");
  asio::post(strand, [&] { cancel.emit(asio::cancellation_type::terminal); });
  auto ex = get_bounded(result, "cancelled stream completes");
  CHECK_FALSE(ex.last_read_ok);
  CHECK(ex.status.error_code() == grpc::StatusCode::CANCELLED);
  CHECK(ex.all_resumed_on_pool);
  fx.service.calls_cancelled.wait_for_at_least(1, "server saw the cancellation");
}
