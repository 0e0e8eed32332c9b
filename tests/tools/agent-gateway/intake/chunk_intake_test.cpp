// The chunk intake without gRPC: a stream's chunks checked, counted and
// accepted at its end, or rejected with the status that ends it.
#include "tools/agent-gateway/intake/chunk_intake.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <catch2/catch.hpp>

using namespace sr::gateway;
namespace asio = boost::asio;

namespace {

monitoring::GatewayStatusChunk chunk(int index, int total, const std::string& devices_json) {
  monitoring::GatewayStatusChunk c;
  c.set_agent_id("a1");
  c.set_chunk_index(index);
  c.set_total_chunks(total);
  c.set_is_final(index + 1 == total);
  auto* s = c.add_services();
  s->set_service_type("sync");
  s->set_message(devices_json);
  return c;
}

// Feeds the chunks, then finishes; the status that ended the stream.
grpc::Status feed(ChunkIntake& intake, const std::vector<monitoring::GatewayStatusChunk>& chunks) {
  asio::io_context io;
  auto stream = intake.open({"acme", "a1"}, "agent 'a1'", io.get_executor());
  REQUIRE(stream);
  auto run = [&]() -> asio::awaitable<grpc::Status> {
    for (const auto& c : chunks)
      if (auto taken = co_await stream->take(c); !taken.ok()) co_return stream->reject(std::move(taken));
    if (auto end = co_await stream->finish(); !end.ok()) co_return stream->reject(std::move(end));
    co_return grpc::Status::OK;
  };
  auto done = asio::co_spawn(io, run(), asio::use_future);
  io.run();
  return done.get();
}

}  // namespace

TEST_CASE("a stream's chunks are counted and it is accepted at its end", "[gateway][intake]") {
  GatewayState state;
  ChunkIntake intake(nullptr, state, {});
  const auto status = feed(intake, {chunk(0, 2, R"([{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}])"),
                                    chunk(1, 2, R"([{"ip":"10.0.0.3"}])")});
  CHECK(status.ok());
  const auto last = state.agents_of("acme").at({"acme", "a1"}).last_stream;
  CHECK(last.result == "accepted");
  CHECK(last.chunks == 2);
  CHECK(last.devices == 3);
}

TEST_CASE("a chunk that breaks the rules or the payload ends the stream", "[gateway][intake]") {
  GatewayState state;
  ChunkIntake intake(nullptr, state, {});
  auto status = feed(intake, {chunk(0, 2, R"([{"ip":"10.0.0.1"}])"), chunk(1, 2, R"({"not":"an array"})")});
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  auto last = state.agents_of("acme").at({"acme", "a1"}).last_stream;
  CHECK(last.result == "INVALID_ARGUMENT");
  CHECK(last.devices == 1);
  // No final chunk: the end is refused.
  status = feed(intake, {chunk(0, 2, "[]")});
  CHECK_FALSE(status.ok());
  CHECK(state.agents_of("acme").at({"acme", "a1"}).last_stream.result != "accepted");
}
