// Shutdown with calls of every kind in flight: nothing hangs, every awaiting
// coroutine completes with a failure status, and (under ASan) nothing leaks
// or is used after it is freed.
#include "tests/net/bridge_fixture.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <catch2/catch.hpp>

#include <list>
#include <vector>

using namespace sr::test;
using namespace std::chrono_literals;
using sr::grpc_bridge::CallOptions;

namespace {

constexpr int kUnary = 20, kWriters = 5, kBidi = 5;

asio::awaitable<grpc::Status> parked_unary(BridgeFixture* fx) {
  auto [status, reply] = co_await fx->hello(fx->stub.get(), "hang", CallOptions::timeout(1h));
  co_return status;
}

asio::awaitable<grpc::Status> parked_writer(BridgeFixture* fx) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto writer = fx->stream_status(CallOptions::timeout(1h));
  for (int i = 0; co_await writer.async_write(chunk("stall", i, 64 * 1024), asio::use_awaitable);
       ++i) {
  }
  co_return co_await writer.async_finish(asio::use_awaitable);
}

asio::awaitable<grpc::Status> parked_bidi(BridgeFixture* fx) {
  co_await asio::this_coro::throw_if_cancelled(false);
  auto stream = fx->control_stream(CallOptions::timeout(1h));
  monitoring::ControlStreamRequest hello;
  hello.mutable_hello()->set_agent_id("hold");
  co_await stream.async_write(std::move(hello), asio::use_awaitable);
  auto [ok, msg] = co_await stream.async_read(asio::use_awaitable);
  co_return co_await stream.async_finish(asio::use_awaitable);
}

struct InFlight {
  using Strand = asio::strand<asio::any_io_executor>;
  std::list<asio::cancellation_signal> signals;  // stable addresses
  std::vector<Strand> strands;
  std::vector<std::future<grpc::Status>> results;

  void spawn(BridgeFixture& fx, asio::awaitable<grpc::Status> call) {
    strands.push_back(asio::make_strand(fx.executor()));
    auto& signal = signals.emplace_back();
    results.push_back(asio::co_spawn(strands.back(), std::move(call),
                                     asio::bind_cancellation_slot(signal.slot(), asio::use_future)));
  }

  void start_all(BridgeFixture& fx) {
    for (int i = 0; i < kUnary; ++i) spawn(fx, parked_unary(&fx));
    for (int i = 0; i < kWriters; ++i) spawn(fx, parked_writer(&fx));
    for (int i = 0; i < kBidi; ++i) spawn(fx, parked_bidi(&fx));
    fx.service.calls_waiting.wait_for_at_least(kUnary + kWriters + kBidi, "all calls parked");
  }

  void cancel_all() {
    auto signal = signals.begin();
    for (auto& strand : strands) {
      asio::post(strand, [s = &*signal] { s->emit(asio::cancellation_type::terminal); });
      ++signal;
    }
  }

  std::vector<grpc::Status> wait_all() {
    std::vector<grpc::Status> out;
    for (auto& r : results) out.push_back(get_bounded(r, "in-flight call completes"));
    return out;
  }
};

}  // namespace

TEST_CASE("server shutdown ends every call in flight: unary, client stream, bidi",
          "[grpc_bridge][shutdown]") {
  BridgeFixture fx;
  InFlight calls;
  calls.start_all(fx);

  fx.shutdown_server(std::chrono::seconds(0));  // no grace: cancel what runs

  int failed = 0;
  for (const auto& status : calls.wait_all()) failed += status.ok() ? 0 : 1;
  CHECK(failed == kUnary + kWriters + kBidi);
  fx.service.calls_cancelled.wait_for_at_least(kUnary + kWriters + kBidi,
                                               "every server handler saw the cancellation");
}

TEST_CASE("cancelling every client coroutine ends every call in flight",
          "[grpc_bridge][shutdown][cancel]") {
  BridgeFixture fx;
  InFlight calls;
  calls.start_all(fx);

  calls.cancel_all();

  int cancelled = 0;
  for (const auto& status : calls.wait_all())
    cancelled += status.error_code() == grpc::StatusCode::CANCELLED ? 1 : 0;
  CHECK(cancelled == kUnary + kWriters + kBidi);
  fx.service.calls_cancelled.wait_for_at_least(kUnary + kWriters + kBidi,
                                               "every server handler saw the cancellation");
  // The fixture's destructor then joins the pool: it returns only once every
  // bridge operation has completed and released its work.
}
