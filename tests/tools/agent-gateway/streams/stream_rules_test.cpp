// The StreamStatus rules, one chunk at a time, with the exact status each
// violation ends the stream with.
#include "tools/agent-gateway/streams/stream_rules.hpp"

#include <catch2/catch.hpp>

using sr::gateway::StreamLimits;
using sr::gateway::StreamRules;

namespace {

monitoring::GatewayStatusChunk chunk(int index, int total, bool final_chunk,
                                     const std::string& agent = "agent-1", int services = 1) {
  monitoring::GatewayStatusChunk c;
  c.set_agent_id(agent);
  c.set_chunk_index(index);
  c.set_total_chunks(total);
  c.set_is_final(final_chunk);
  for (int i = 0; i < services; ++i) {
    auto* s = c.add_services();
    s->set_service_type("sync");
    s->set_message("[]");
  }
  return c;
}

struct Verdict {
  grpc::StatusCode code;
  std::string message;
};

// Feeds chunks until one is refused; returns that verdict, or finish()'s.
Verdict run(StreamRules& rules, const std::vector<monitoring::GatewayStatusChunk>& chunks) {
  for (const auto& c : chunks)
    if (auto bad = rules.accept(c)) return {bad->error_code(), bad->error_message()};
  auto end = rules.finish();
  return {end.error_code(), end.error_message()};
}

}  // namespace

TEST_CASE("a well-formed stream is accepted", "[gateway][rules]") {
  StreamRules rules("agent-1");
  auto v = run(rules, {chunk(0, 4, false), chunk(1, 4, false), chunk(2, 4, false), chunk(3, 4, true)});
  CHECK(v.code == grpc::StatusCode::OK);
  CHECK(rules.chunks_seen() == 4);
  CHECK(rules.final_seen());
  CHECK(rules.services_seen() == 4);
}

TEST_CASE("every rule of the wire contract, with its status and message", "[gateway][rules]") {
  struct Case {
    const char* name;
    std::vector<monitoring::GatewayStatusChunk> chunks;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases{
      {"agent_id of another agent", {chunk(0, 1, true, "agent-2")},
       grpc::StatusCode::PERMISSION_DENIED, "component_id mismatch"},
      {"total_chunks zero", {chunk(0, 0, false)}, grpc::StatusCode::INVALID_ARGUMENT,
       "total_chunks must be > 0, got 0 at chunk 0"},
      {"total_chunks negative", {chunk(0, -3, false)}, grpc::StatusCode::INVALID_ARGUMENT,
       "total_chunks must be > 0, got -3 at chunk 0"},
      {"total_chunks changes", {chunk(0, 4, false), chunk(1, 5, false)},
       grpc::StatusCode::INVALID_ARGUMENT, "total_chunks changed from 4 to 5 at chunk 1"},
      {"first index not 0", {chunk(1, 4, false)}, grpc::StatusCode::INVALID_ARGUMENT,
       "chunk_index 1 out of order: expected 0"},
      {"a gap", {chunk(0, 4, false), chunk(2, 4, false)}, grpc::StatusCode::INVALID_ARGUMENT,
       "chunk_index 2 out of order: expected 1"},
      {"a repeat", {chunk(0, 4, false), chunk(0, 4, false)}, grpc::StatusCode::INVALID_ARGUMENT,
       "chunk_index 0 out of order: expected 1"},
      {"final too early", {chunk(0, 4, false), chunk(1, 4, true)},
       grpc::StatusCode::INVALID_ARGUMENT, "final chunk at index 1, expected 3 (total_chunks 4)"},
      {"last chunk not final", {chunk(0, 2, false), chunk(1, 2, false)},
       grpc::StatusCode::INVALID_ARGUMENT, "chunk 1 is the last of 2 but not marked final"},
      {"a chunk after the final", {chunk(0, 1, true), chunk(1, 1, false)},
       grpc::StatusCode::INVALID_ARGUMENT, "chunk 1 after the final chunk 0"},
      {"closed without final", {chunk(0, 4, false), chunk(1, 4, false)},
       grpc::StatusCode::INVALID_ARGUMENT,
       "stream closed without a final chunk (received 2 of 4)"},
      {"closed without any chunk", {}, grpc::StatusCode::INVALID_ARGUMENT,
       "stream closed without any chunk"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      StreamRules rules("agent-1");
      auto v = run(rules, c.chunks);
      CHECK(v.code == c.code);
      CHECK(v.message == c.message);
    }
  }
}

TEST_CASE("a service naming another agent is refused", "[gateway][rules]") {
  StreamRules rules("agent-1");
  auto c = chunk(0, 1, true);
  c.mutable_services(0)->set_agent_id("agent-2");
  auto bad = rules.accept(c);
  REQUIRE(bad);
  CHECK(bad->error_code() == grpc::StatusCode::PERMISSION_DENIED);
}

TEST_CASE("5000 services per stream, no more", "[gateway][rules]") {
  StreamRules rules("agent-1");
  CHECK_FALSE(rules.accept(chunk(0, 3, false, "agent-1", 2500)));
  CHECK_FALSE(rules.accept(chunk(1, 3, false, "agent-1", 2500)));
  auto bad = rules.accept(chunk(2, 3, true, "agent-1", 1));
  REQUIRE(bad);
  CHECK(bad->error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(bad->error_message() == "stream carries 5001 services, more than the limit of 5000");
}

TEST_CASE("a results message may have 15 MiB, not a byte more", "[gateway][rules]") {
  std::string payload(15u << 20, 'x');
  auto exact = chunk(0, 1, true);
  exact.mutable_services(0)->set_message(payload);
  StreamRules ok_rules("agent-1");
  CHECK_FALSE(ok_rules.accept(exact));

  payload.push_back('x');
  auto over = chunk(0, 1, true);
  over.mutable_services(0)->set_message(std::move(payload));
  StreamRules rules("agent-1");
  auto bad = rules.accept(over);
  REQUIRE(bad);
  CHECK(bad->error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(bad->error_message() == "results message of 15728641 bytes in chunk 0, more than 15728640");
}

TEST_CASE("limits are configurable", "[gateway][rules]") {
  StreamRules rules("agent-1", StreamLimits{2, 10});
  CHECK(rules.accept(chunk(0, 1, true, "agent-1", 3)));
}
