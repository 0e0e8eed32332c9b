// Every Asio handler is timed on the thread that runs it (net/handler_timing).
// The sleeps below are the blocking work under test, not waits for an event.
#include "net/handler_timing.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace asio = boost::asio;
namespace ht = sr::net::handler_timing;
using namespace std::chrono_literals;

namespace {

void block_for(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

void run_on_two_threads(asio::io_context& io) {
  std::thread other([&] { io.run(); });
  io.run();
  other.join();
}

}  // namespace

TEST_CASE("a handler that blocks one pool thread is a stall, while the other thread runs on",
          "[net][handler_timing]") {
  const auto before = ht::stats();
  asio::io_context io;
  std::atomic<int> quick{0};
  asio::post(io, [] { block_for(150ms); });
  for (int i = 0; i < 100; ++i) asio::post(io, [&quick] { ++quick; });
  run_on_two_threads(io);
  const auto after = ht::stats();
  CHECK(quick == 100);
  CHECK(after.stalls >= before.stalls + 1);
  CHECK(after.max_micros >= 150'000);
}

TEST_CASE("a strand's batch is not charged as one handler: each is timed on its own",
          "[net][handler_timing]") {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  // Ten 15 ms handlers queued on one strand run inside one outer invocation
  // (150 ms together); none of them, nor the batch, held its thread 100 ms.
  for (int i = 0; i < 10; ++i) asio::post(strand, [] { block_for(15ms); });
  const auto before = ht::stats();
  io.run();
  CHECK(ht::stats().stalls == before.stalls);
}

TEST_CASE("a handler that throws after blocking is still counted", "[net][handler_timing]") {
  const auto before = ht::stats();
  asio::io_context io;
  asio::post(io, [] {
    block_for(120ms);
    throw std::runtime_error("handler failed");
  });
  CHECK_THROWS_WITH(io.run(), "handler failed");
  CHECK(ht::stats().stalls == before.stalls + 1);
  // The thread's bookkeeping unwound with the exception: the next handler is
  // measured on its own, not nested in the one that threw.
  asio::post(io, [] { block_for(120ms); });
  io.restart();
  io.run();
  CHECK(ht::stats().stalls == before.stalls + 2);
}
