// The client-streaming writer (StreamStatus) against a real server: the
// writer must wait for the transport, so a slow server slows it down.
#include "tests/net/bridge_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <algorithm>

using namespace sr::test;
using namespace std::chrono_literals;
using sr::grpc_bridge::CallOptions;

namespace {

struct StreamOutcome {
  int writes_ok = 0;
  int max_lead = 0;  // writes completed minus chunks the server had read, at most
  bool all_resumed_on_pool = true;
  grpc::Status status;
  bool received = false;
};

asio::awaitable<StreamOutcome> write_chunks(BridgeFixture* fx, std::string agent, int count,
                                            std::size_t bytes, CallOptions opts) {
  co_await asio::this_coro::throw_if_cancelled(false);
  StreamOutcome out;
  auto writer = fx->stream_status(opts);
  for (int i = 0; i < count; ++i) {
    if (!co_await writer.async_write(chunk(agent, i, bytes), asio::use_awaitable)) break;
    ++out.writes_ok;
    out.max_lead = std::max(out.max_lead, out.writes_ok - fx->service.chunks_read.load());
    out.all_resumed_on_pool = out.all_resumed_on_pool && fx->on_pool_thread();
  }
  out.status = co_await writer.async_finish(asio::use_awaitable);
  out.all_resumed_on_pool = out.all_resumed_on_pool && fx->on_pool_thread();
  out.received = writer.response().received();
  co_return out;
}

}  // namespace

TEST_CASE("1000 writes to a slow reader: each write waits for the transport",
          "[grpc_bridge][client_stream][backpressure]") {
  BridgeFixture fx;
  constexpr int kWrites = 1000;
  constexpr std::size_t kBytes = 32 * 1024;  // 32 MiB in all, far beyond any flow-control window
  auto out = fx.run(write_chunks(&fx, "slow", kWrites, kBytes, CallOptions::timeout(5min)));

  REQUIRE(out.status.ok());
  CHECK(out.writes_ok == kWrites);
  CHECK(out.received);
  CHECK(fx.service.chunks_read == kWrites);
  CHECK(fx.service.chunk_order_ok);
  CHECK(out.all_resumed_on_pool);
  // A writer that did not wait would finish ~1000 writes ahead of a reader
  // that takes a millisecond per chunk. Waiting bounds the lead by what
  // HTTP/2 flow control and socket buffers admit (~150 chunks, 5 MiB, here).
  INFO("max lead of writer over reader: " << out.max_lead << " chunks of 32 KiB");
  CHECK(out.max_lead < kWrites / 2);
}

TEST_CASE("a fast reader receives every chunk in order", "[grpc_bridge][client_stream]") {
  BridgeFixture fx;
  auto out = fx.run(write_chunks(&fx, "fast", 300, 1024, CallOptions::timeout(1min)));
  REQUIRE(out.status.ok());
  CHECK(out.writes_ok == 300);
  CHECK(fx.service.chunks_read == 300);
  CHECK(fx.service.chunk_order_ok);
  fx.service.streams_finished.wait_for_at_least(1, "server handler finished");
}

TEST_CASE("a server rejection ends the stream with the server's status",
          "[grpc_bridge][client_stream]") {
  BridgeFixture fx;
  auto out = fx.run(write_chunks(&fx, "reject:3", 10, 128, CallOptions::timeout(1min)));
  CHECK(out.status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(out.status.error_message() == "rejected after 3 chunks");
  CHECK(fx.service.chunks_read == 3);
  CHECK_FALSE(out.received);
}

TEST_CASE("cancelling a writer blocked on a stalled server fails the write and the call",
          "[grpc_bridge][client_stream][cancel]") {
  BridgeFixture fx;
  auto strand = asio::make_strand(fx.executor());
  asio::cancellation_signal cancel;
  // Enough bytes that the writer must block once the server stops reading.
  auto result = asio::co_spawn(
      strand, write_chunks(&fx, "stall", 100000, 64 * 1024, CallOptions::timeout(1h)),
      asio::bind_cancellation_slot(cancel.slot(), asio::use_future));

  fx.service.calls_waiting.wait_for_at_least(1, "server stalled after the first chunk");
  asio::post(strand, [&] { cancel.emit(asio::cancellation_type::terminal); });

  auto out = get_bounded(result, "cancelled writer completes");
  CHECK(out.writes_ok < 100000);
  CHECK(out.status.error_code() == grpc::StatusCode::CANCELLED);
  CHECK(out.all_resumed_on_pool);
  fx.service.calls_cancelled.wait_for_at_least(1, "server saw the cancellation");
}

TEST_CASE("dropping an unfinished writer cancels its call", "[grpc_bridge][client_stream]") {
  BridgeFixture fx;
  {
    auto writer = fx.stream_status(CallOptions::timeout(1h));
    auto write_one = [](decltype(writer)* w) -> asio::awaitable<bool> {
      co_return co_await w->async_write(chunk("stall", 0, 16), asio::use_awaitable);
    };
    CHECK(fx.run(write_one(&writer)));
    fx.service.calls_waiting.wait_for_at_least(1, "server holding the stream");
  }  // dropped here, never finished
  fx.service.calls_cancelled.wait_for_at_least(1, "server saw the abandoned call end");
}

TEST_CASE("a write after finish is refused, not sent", "[grpc_bridge][client_stream]") {
  BridgeFixture fx;
  auto finish_then_write = [](BridgeFixture* f) -> asio::awaitable<std::pair<grpc::Status, bool>> {
    auto writer = f->stream_status(CallOptions::timeout(1min));
    co_await writer.async_write(chunk("fast", 0, 16), asio::use_awaitable);
    auto status = co_await writer.async_finish(asio::use_awaitable);
    bool late = co_await writer.async_write(chunk("fast", 1, 16), asio::use_awaitable);
    co_return std::pair{status, late};
  };
  auto [status, late_write] = fx.run(finish_then_write(&fx));
  CHECK(status.ok());
  CHECK_FALSE(late_write);
  CHECK(fx.service.chunks_read == 1);
}
