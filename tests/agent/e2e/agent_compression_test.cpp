// grpc_compression end to end: the real agent with gzip-compressed
// StreamStatus messages against the real reference gateway (which
// decompresses them as every gRPC server does by default); the devices are
// read back from the gateway's sink. gRPC's own "compression" trace in the
// agent's log tells which messages went compressed: every chunk, and no
// control-plane message.
#include "contract/faker_inventory.hpp"
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include <signal.h>

using namespace sr::test;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kDevices = 25'000;  // several chunks (3 MiB each)

std::string store_json(std::uint64_t devices) {
  return R"({"sources":{"lab":{"type":"faker","poll_interval":"1h","sync_service_id":"svc-lab",)"
         R"("total_devices":)" + std::to_string(devices) + "}}}";
}

GatewayFixtureOptions faker_store() {
  GatewayFixtureOptions o;
  o.stores = {{"acme", store_json(kDevices)}};
  o.extra_args = {"--heartbeat-interval", "1", "--config-poll-interval", "1"};
  return o;
}

// gRPC logs each message it compresses (or chose not to) under this trace.
const std::vector<std::string> kTrace{"GRPC_TRACE=compression", "GRPC_VERBOSITY=INFO"};

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Messages the agent's gRPC compressed with gzip, or sent plain although gzip was asked.
std::size_t gzip_messages(const std::string& log) {
  return count(log, "Compressed[gzip]") + count(log, "Algorithm 'gzip' enabled but decided not to compress");
}

// The chunk count of the agent's "delivered" line.
std::size_t delivered_chunks(const std::string& log) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex(R"(delivered: \d+ devices in (\d+) chunks)"))) return 0;
  return std::stoul(m[1].str());
}

void write_file(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// The IPs of every committed stream file of the tenant (one line each).
std::multiset<std::string> sink_ips(const fs::path& dir) {
  std::multiset<std::string> ips;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().front() == '.') continue;  // a stream not committed
    std::ifstream in(e.path());
    for (std::string line; std::getline(in, line);)
      ips.insert(std::string(boost::json::parse(line).at("ip").as_string()));
  }
  return ips;
}

std::multiset<std::string> expected_ips() {
  std::multiset<std::string> ips;
  for (std::uint64_t i = 0; i < kDevices; ++i) ips.insert(sr::contract::faker::slot_ip(i));
  return ips;
}

}  // namespace

TEST_CASE("grpc_compression gzip: the gateway gets every device intact; only StreamStatus is compressed",
          "[agent][sync][compression]") {
  GatewayFixture gw(faker_store());
  auto env = kTrace;
  env.push_back("SR_GRPC_COMPRESSION=gzip");
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {}, env);
  const bool delivered = agent->wait_for_log("delivered: 25000 devices");
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(delivered);
  REQUIRE(gw.process().wait_for_log("StreamStatus from agent 'agent-1'"));
  CHECK(sink_ips(gw.sink_dir() / "acme") == expected_ips());  // nothing lost, nothing doubled

  // Hello, GetConfig, heartbeats and the ControlStream ran too (and go on
  // while this reads the log): none of them was compressed.
  const auto log = agent->log_text();
  const auto chunks = delivered_chunks(log);
  CHECK(chunks > 1);
  CHECK(gzip_messages(log) == chunks);
  CHECK(count(log, "Compressed[gzip]") == chunks);  // faker chunks always shrink
  check_clean_exit(*agent);
  CHECK(gw.http_get("/status").find(R"("streams":{"accepted":1,"rejected":0)") != std::string::npos);
}

TEST_CASE("grpc_compression defaults to none: no message is compressed", "[agent][sync][compression]") {
  GatewayFixture gw(faker_store());
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {}, kTrace);
  const bool delivered = agent->wait_for_log("delivered: 25000 devices");
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(delivered);
  REQUIRE(gw.process().wait_for_log("StreamStatus from agent 'agent-1'"));
  CHECK(sink_ips(gw.sink_dir() / "acme") == expected_ips());
  CHECK(count(agent->log_text(), "Compressed[") == 0);
  CHECK(count(agent->log_text(), "decided not to compress") == 0);
  check_clean_exit(*agent);
}

TEST_CASE("grpc_compression changed in the bootstrap file: a SIGHUP applies it to the next stream",
          "[agent][sync][compression][sighup]") {
  GatewayFixture gw(faker_store());
  const TempDir dir("sr-compression-boot");
  const auto boot = dir.path / "agent.json";
  write_file(boot, R"({"grpc_compression":"none"})");
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {"--config", boot.string()}, kTrace);
  REQUIRE(agent->wait_for_log("delivered: 25000 devices"));
  CHECK(count(agent->log_text(), "Compressed[") == 0);

  write_file(boot, R"({"grpc_compression":"gzip"})");
  ::kill(agent->pid(), SIGHUP);
  REQUIRE(agent->wait_for_log("SIGHUP: bootstrap and certificate re-read"));
  gw.write_store("acme", store_json(20'000));  // a new config: the source runs again
  const bool delivered = agent->wait_for_log("delivered: 20000 devices");
  const auto log = agent->log_text();
  INFO("agent log:\n" << log);
  REQUIRE(delivered);
  const auto chunks = delivered_chunks(log.substr(log.find("delivered: 20000 devices")));  // the second run's
  CHECK(chunks > 1);
  CHECK(gzip_messages(log) == chunks);  // its chunks, and nothing before the SIGHUP
  check_clean_exit(*agent);
}
