#include "tests/net/test_service.hpp"

#include "net/grpc_bridge/server_bidi.hpp"
#include "net/grpc_bridge/server_reader.hpp"
#include "net/grpc_bridge/server_unary.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <chrono>
#include <stdexcept>

namespace sr::test {
namespace {

namespace asio = boost::asio;
using asio::use_awaitable;
using monitoring::ControlStreamRequest;
using monitoring::ControlStreamResponse;
using monitoring::GatewayStatusChunk;

int number_after(std::string_view text, std::string_view prefix) {
  int n = -1;
  if (text.substr(0, prefix.size()) == prefix)
    std::from_chars(text.data() + prefix.size(), text.data() + text.size(), n);
  return n;
}

// Parks the calling handler until its call is cancelled.
asio::awaitable<void> park_until_cancelled(EventCounter& waiting, EventCounter& cancelled) {
  asio::steady_timer forever(co_await asio::this_coro::executor,
                             asio::steady_timer::time_point::max());
  waiting.bump();
  co_await forever.async_wait(asio::as_tuple(use_awaitable));
  cancelled.bump();
}

asio::awaitable<grpc::Status> hello(TestService* svc, const monitoring::AgentHelloRequest* req,
                                    monitoring::AgentHelloResponse* resp) {
  const std::string& id = req->agent_id();
  if (id == "hang") {
    co_await park_until_cancelled(svc->calls_waiting, svc->calls_cancelled);
    co_return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while parked");
  }
  if (id == "throw") throw std::runtime_error("boom");
  if (const int code = number_after(id, "status:"); code >= 0)
    co_return grpc::Status(static_cast<grpc::StatusCode>(code), "scripted " + std::to_string(code));
  resp->set_accepted(true);
  resp->set_agent_id(id);
  resp->set_heartbeat_interval_sec(30);
  co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> read_chunks(TestService* svc,
                                          grpc_bridge::ServerReader<GatewayStatusChunk> in,
                                          monitoring::GatewayStatusResponse* resp) {
  asio::steady_timer pace(co_await asio::this_coro::executor);
  std::string mode;
  int expected = 0;
  for (;;) {
    auto [ok, chunk] = co_await in.async_read(use_awaitable);
    if (!ok) break;
    if (expected == 0) mode = chunk.agent_id();
    if (chunk.chunk_index() != expected++) svc->chunk_order_ok = false;
    ++svc->chunks_read;
    if (mode == "stall") {
      co_await park_until_cancelled(svc->calls_waiting, svc->calls_cancelled);
      co_return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while stalled");
    }
    if (number_after(mode, "reject:") == expected)
      co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                             "rejected after " + std::to_string(expected) + " chunks");
    if (mode == "slow") {
      pace.expires_after(std::chrono::milliseconds(1));
      co_await pace.async_wait(use_awaitable);
    }
  }
  resp->set_received(true);
  svc->streams_finished.bump();
  co_return grpc::Status::OK;
}

asio::awaitable<grpc::Status> control(
    TestService* svc, grpc_bridge::ServerBidiStream<ControlStreamRequest, ControlStreamResponse> s) {
  auto [ok, first] = co_await s.async_read(use_awaitable);
  if (!ok) co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "stream closed before hello");
  if (!first.has_hello())
    co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "hello must be the first message");
  const auto& hello = first.hello();
  if (hello.agent_id() == "hold") {
    svc->calls_waiting.bump();
    auto [more, ignored] = co_await s.async_read(use_awaitable);
    if (s.context().IsCancelled()) svc->calls_cancelled.bump();
    co_return grpc::Status::OK;
  }
  const auto it = hello.labels().find("pushes");
  const int pushes = it == hello.labels().end() ? 0 : std::stoi(it->second);
  for (int i = 0; i < pushes; ++i) {
    ControlStreamResponse push;
    push.mutable_config()->set_config_version("v" + std::to_string(i));
    push.mutable_config()->set_config_json(R"({"sources":{}})");
    if (!co_await s.async_write(std::move(push), use_awaitable))
      co_return grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed");
    auto [got, ack] = co_await s.async_read(use_awaitable);
    if (!got || !ack.has_config_ack())
      co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "expected a config_ack");
    if (ack.config_ack().config_version() == "v" + std::to_string(i)) ++svc->acks_in_order;
  }
  auto [extra, unexpected] = co_await s.async_read(use_awaitable);
  if (extra) co_return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "unexpected message");
  svc->streams_finished.bump();
  co_return grpc::Status::OK;
}

}  // namespace

grpc::ServerUnaryReactor* TestService::Hello(grpc::CallbackServerContext* ctx,
                                             const monitoring::AgentHelloRequest* req,
                                             monitoring::AgentHelloResponse* resp) {
  return grpc_bridge::serve_unary(ctx, ex_, hello(this, req, resp));
}

grpc::ServerReadReactor<GatewayStatusChunk>* TestService::StreamStatus(
    grpc::CallbackServerContext* ctx, monitoring::GatewayStatusResponse* resp) {
  return grpc_bridge::serve_client_stream<GatewayStatusChunk>(
      ctx, ex_, [this, resp](auto reader) { return read_chunks(this, std::move(reader), resp); });
}

grpc::ServerBidiReactor<ControlStreamRequest, ControlStreamResponse>* TestService::ControlStream(
    grpc::CallbackServerContext* ctx) {
  return grpc_bridge::serve_bidi<ControlStreamRequest, ControlStreamResponse>(
      ctx, ex_, [this](auto stream) { return control(this, std::move(stream)); });
}

}  // namespace sr::test
