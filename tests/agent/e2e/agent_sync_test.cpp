// The sync runtime end to end: the real agent with faker sources against
// the real reference gateway (mTLS on loopback); what arrives is read back
// from the gateway's per-tenant sink. And `serviceradar-agent sync --once`.
#include "contract/faker_inventory.hpp"
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <cstdio>

#include <filesystem>
#include <fstream>
#include <set>

using namespace sr::test;
namespace fs = std::filesystem;

namespace {

const char* kSecret = "SECRET-faker-key-51c2";

std::string faker_store(std::uint64_t devices) {
  return R"({"sources":{"lab":{"type":"faker","poll_interval":"1h","sync_service_id":"svc-lab","total_devices":)" +
         std::to_string(devices) + R"(,"credentials":{"api_key":")" + kSecret + R"("}}}})";
}

GatewayFixtureOptions store(std::uint64_t devices, std::vector<std::string> extra = {}) {
  GatewayFixtureOptions o;
  o.stores = {{"acme", faker_store(devices)}};
  o.admin_token = "sync-test-admin-token-0123456789";  // /inventory needs it
  o.extra_args = {"--heartbeat-interval", "1", "--config-poll-interval", "1"};
  o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
  return o;
}

struct Delivered {
  std::uint64_t lines = 0;
  std::set<std::string> ips;
  std::set<std::string> runs;
  std::size_t files = 0, partial_files = 0;
  std::uint64_t odd_lines = 0;
};

// Every committed stream file of the tenant; .part files are counted apart.
Delivered read_sink(const fs::path& dir) {
  Delivered d;
  if (!fs::exists(dir)) return d;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().front() == '.') {
      ++d.partial_files;
      continue;
    }
    ++d.files;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      const auto v = boost::json::parse(line);
      ++d.lines;
      d.ips.insert(std::string(v.at("ip").as_string()));
      d.runs.insert(std::string(v.at("sync_meta").at("sync_run_id").as_string()));
      // The certificate's partition (agents/agent-1: default) and the source's id.
      d.odd_lines += v.at("sync_meta").at("sync_service_id").as_string() != "svc-lab" ||
                     v.at("partition").as_string() != "default" || v.at("agent_id").as_string() != "agent-1";
    }
  }
  return d;
}

std::set<std::string> expected_ips(std::uint64_t n) {
  std::set<std::string> ips;
  for (std::uint64_t i = 0; i < n; ++i) ips.insert(sr::contract::faker::slot_ip(i));
  return ips;
}

bool has_part_file(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().front() == '.') return true;
  return false;
}

}  // namespace

TEST_CASE("200k faker devices arrive complete, in valid streams", "[agent][sync]") {
  constexpr std::uint64_t kDevices = 200'000;
  GatewayFixture gw(store(kDevices));
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {"--metrics-addr", "127.0.0.1:0"});
  const auto http = agent_http_address(*agent);
  const bool delivered = agent->wait_for_log("delivered: 200000 devices");
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(delivered);
  REQUIRE(gw.process().wait_for_log("StreamStatus from agent 'agent-1'"));

  const auto got = read_sink(gw.sink_dir() / "acme");
  CHECK(got.files == 1);
  CHECK(got.lines == kDevices);           // nothing doubled
  CHECK(got.ips == expected_ips(kDevices));  // nothing lost
  CHECK(got.runs.size() == 1);
  CHECK(got.odd_lines == 0);
  const auto status = gw.http_get("/status");
  CHECK(status.find(R"("streams":{"accepted":1,"rejected":0)") != std::string::npos);

  // Per-source state in the heartbeat's source of truth: the metrics.
  CHECK(eventually([&] {
    const auto m = http_request(http, "/metrics").second;
    return m.find(R"(serviceradar_sync_runs_sent_total{source="lab"} 1)") != std::string::npos &&
           m.find(R"(serviceradar_sync_devices_sent_total{source="lab"} 200000)") != std::string::npos &&
           m.find("serviceradar_sync_spool_disk_bytes 0") != std::string::npos;
  }));
  check_clean_exit(*agent);
  CHECK(agent->log_text().find(kSecret) == std::string::npos);
  CHECK(gw.process().log_text().find(kSecret) == std::string::npos);
}

TEST_CASE("a gateway killed mid-stream gets the whole run after it restarts", "[agent][sync]") {
  constexpr std::uint64_t kDevices = 40'000;
  // Small chunks and a slow sink keep the stream in flight long enough to kill.
  const std::vector<std::string> env{"SWEEP_RESULTS_MAX_CHUNK_BYTES=64KB"};
  std::string address;
  std::unique_ptr<ChildProcess> agent;
  {
    GatewayFixture first(store(kDevices, {"--sink-delay-ms", "20"}));
    address = first.grpc_address();
    agent = start_agent(address, "agents/agent-1", {}, env);
    REQUIRE(agent->wait_for_log("complete: 40000 devices"));
    REQUIRE(eventually([&] { return has_part_file(first.sink_dir() / "acme"); }));
    first.kill_hard();
    CHECK(read_sink(first.sink_dir() / "acme").files == 0);  // nothing committed
  }
  const bool retrying = agent->wait_for_log("not delivered");
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(retrying);
  auto options = store(kDevices);
  options.listen = address;
  GatewayFixture second(options);
  REQUIRE(agent->wait_for_log("delivered: 40000 devices"));
  const auto got = read_sink(second.sink_dir() / "acme");
  CHECK(got.files == 1);
  CHECK(got.lines == kDevices);
  CHECK(got.ips == expected_ips(kDevices));
  check_clean_exit(*agent);
}

TEST_CASE("behind a slow gateway sink the agent's memory stays within budget", "[agent][sync]") {
  constexpr std::uint64_t kDevices = 150'000;
  GatewayFixture gw(store(kDevices, {"--sink-delay-ms", "5"}));
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {"--spool-memory", "4MiB"},
                           {"SWEEP_RESULTS_MAX_CHUNK_BYTES=256KB"});
  REQUIRE(agent->wait_for_log("delivered: 150000 devices", std::chrono::seconds(240)));
  const auto got = read_sink(gw.sink_dir() / "acme");
  CHECK(got.lines == kDevices);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Sanitizer allocators hold freed memory; the bound is for real builds.
#else
  // ~110 MiB of device JSON went through; the agent held a 4 MiB spool budget.
  const long peak_mib = agent->peak_rss_kib() / 1024;
  INFO("agent peak RSS " << peak_mib << " MiB");
  CHECK(peak_mib < 64);
#endif
  check_clean_exit(*agent);
}

TEST_CASE("sync --once runs sources without a gateway and writes NDJSON", "[agent][sync][cli]") {
  TempDir dir("sr-sync-once");
  {
    std::ofstream(dir.path / "sources.json")
        << R"({"sources":{"a":{"type":"faker","total_devices":1500,"seed":3},"b":{"type":"faker","total_devices":500,"seed":4},)"
           R"("bad":{"type":"armis","endpoint":"https://armis.invalid"}}})";  // no credentials
  }
  ChildProcess run(std::getenv("SR_AGENT"), {"sync", "--once", "--sources", (dir.path / "sources.json").string(),
                                             "--out", (dir.path / "out.ndjson").string()});
  // One source could not run: the exit status says so; the others ran.
  CHECK(run.wait_exit() == 1);
  const auto log = run.log_text();
  CHECK(log.find("bad: failed (0 devices") != std::string::npos);
  CHECK(log.find("a: ok (1500 devices") != std::string::npos);
  std::ifstream in(dir.path / "out.ndjson");
  std::string line;
  std::map<std::string, int> per_service;
  while (std::getline(in, line)) {
    const auto v = boost::json::parse(line);
    ++per_service[std::string(v.at("sync_meta").at("sync_service_id").as_string())];
  }
  CHECK(per_service["a"] == 1500);
  CHECK(per_service["b"] == 500);

  ChildProcess missing(std::getenv("SR_AGENT"), {"sync", "--once", "--sources", (dir.path / "nope.json").string()});
  CHECK(missing.wait_exit() == 78);
  CHECK(missing.log_text().find((dir.path / "nope.json").string() + ": cannot read the sources file") !=
        std::string::npos);
}

TEST_CASE("a restart without the gateway runs the cached sources", "[agent][sync][cache]") {
  TempDir state("sr-agent-cache");
  std::string address;
  {
    GatewayFixture gw(store(1000));
    address = gw.grpc_address();
    auto agent = start_agent(address, "agents/agent-1", {"--state-dir", state.path.string()});
    REQUIRE(agent->wait_for_log("delivered: 1000 devices"));
    check_clean_exit(*agent);
  }  // the gateway is gone for good
  // Sealed by default: the source's credential is not readable on disk.
  std::ifstream in(state.path / "config-cache.json");
  const std::string cached((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(!cached.empty());
  CHECK(cached.find(kSecret) == std::string::npos);

  auto agent = start_agent(address, "agents/agent-1", {"--state-dir", state.path.string()});
  CHECK(agent->wait_for_log("running the cached config v"));
  CHECK(agent->wait_for_log("complete: 1000 devices"));  // the source runs; delivery waits for the gateway
  CHECK(agent->wait_for_log("reconnecting in"));
  check_clean_exit(*agent);
  CHECK(agent->log_text().find(kSecret) == std::string::npos);
}

TEST_CASE("the gateway's canonical inventory holds each delivered device once", "[agent][sync][inventory]") {
  constexpr std::uint64_t kDevices = 20'000;
  GatewayFixture gw(store(kDevices));
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1");
  const bool delivered = agent->wait_for_log("delivered: 20000 devices");
  INFO("agent log:\n" << agent->log_text() << "\ngateway log:\n" << gw.process().log_text());
  REQUIRE(delivered);
  // Acknowledged only once committed: the inventory holds all of it now.
  const auto inv = boost::json::parse(gw.http_get("/inventory"));
  CHECK(inv.at("ingest").at("devices_written").to_number<std::uint64_t>() == kDevices);
  INFO(boost::json::serialize(inv));
  const auto& acme = inv.at("tenants").at("acme");
  CHECK(acme.at("devices").to_number<std::uint64_t>() == kDevices);
  // The faker reports as "integration": it claims no Armis identity.
  CHECK(acme.at("by_source").at("integration").to_number<std::uint64_t>() == kDevices);
  CHECK(inv.at("ingest").at("write_errors").to_number<std::uint64_t>() == 0);
  CHECK(fs::exists(gw.data_dir() / "inventory.db"));
  check_clean_exit(*agent);
}

namespace {

std::uint64_t ingest_counter(const boost::json::value& inv, const char* name) {
  return inv.at("ingest").at(name).to_number<std::uint64_t>();
}

}  // namespace

TEST_CASE("1M devices land in the canonical inventory, with bounded gateway memory",
          "[agent][sync][inventory][scale]") {
  // Sanitizer builds (10x slower) check the same path with a fifth of it.
  const std::uint64_t kDevices = slowdown_factor() > 1 ? 200'000 : 1'000'000;
  auto options = store(kDevices);
  options.raw_record = false;  // the inventory alone: what the gateway holds is what is measured
  GatewayFixture gw(options);
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1");
  const bool delivered =
      agent->wait_for_log("delivered: " + std::to_string(kDevices) + " devices", std::chrono::seconds(900));
  INFO("agent log:\n" << agent->log_text() << "\ngateway log:\n" << gw.process().log_text());
  REQUIRE(delivered);
  const auto inv = boost::json::parse(gw.http_get("/inventory"));
  INFO(boost::json::serialize(inv));
  CHECK(inv.at("tenants").at("acme").at("devices").to_number<std::uint64_t>() == kDevices);
  CHECK(ingest_counter(inv, "devices_written") == kDevices);
  CHECK(ingest_counter(inv, "write_errors") == 0);
  // SYNC_INGESTOR_QUEUE_MAX_CHUNKS' default, +1: the depth reads one high
  // while a chunk moves from the queue to the writer (see IngestCounters).
  CHECK(ingest_counter(inv, "max_queue_depth") <= 10 + 1);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Sanitizer allocators hold freed memory; the bound is for real builds.
#else
  // ~440 MB of device JSON went through; the gateway holds at most 10 queued
  // and 4 merged chunks (~3 MiB each, parsed) plus SQLite's page cache.
  const long peak_mib = gw.process().peak_rss_kib() / 1024;
  INFO("gateway peak RSS " << peak_mib << " MiB");
  std::printf("gateway peak RSS %ld MiB for %llu devices\n", peak_mib, static_cast<unsigned long long>(kDevices));
  CHECK(peak_mib < 256);
#endif
  check_clean_exit(*agent);
}

TEST_CASE("a slow inventory database slows the agent's stream instead of growing memory",
          "[agent][sync][inventory][backpressure]") {
  constexpr std::uint64_t kDevices = 100'000;
  auto options = store(kDevices, {"--ingest-delay-ms", "100"});
  options.raw_record = false;
  options.extra_env = {"SYNC_INGESTOR_QUEUE_MAX_CHUNKS=2", "SYNC_INGESTOR_MAX_INFLIGHT=1"};
  GatewayFixture gw(options);
  // Small chunks: many of them wait behind the slow writer.
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {}, {"SWEEP_RESULTS_MAX_CHUNK_BYTES=256KB"});
  const bool delivered = agent->wait_for_log("delivered: 100000 devices", std::chrono::seconds(600));
  INFO("agent log:\n" << agent->log_text() << "\ngateway log:\n" << gw.process().log_text());
  REQUIRE(delivered);
  const auto inv = boost::json::parse(gw.http_get("/inventory"));
  INFO(boost::json::serialize(inv));
  CHECK(inv.at("tenants").at("acme").at("devices").to_number<std::uint64_t>() == kDevices);
  // The stream waited for room (gRPC flow control held the agent back) and
  // the queue never held more than its bound.
  CHECK(ingest_counter(inv, "pushes_delayed") > 0);
  CHECK(ingest_counter(inv, "max_queue_depth") <= 2 + 1);
  CHECK(ingest_counter(inv, "chunks_written") == ingest_counter(inv, "transactions"));  // one chunk a write
  check_clean_exit(*agent);
}
