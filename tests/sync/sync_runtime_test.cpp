// The runtime on a real io_context with faker sources: complete runs reach
// the handler; restart on change, stop on removal, overlap skipped, time
// limit, blacklist, a broken source never stops another. Waits are on
// events (handler calls, counters) with a bound, never on the clock.
#include "sync/pipeline/chunk.hpp"
#include "sync/adapters/adapter.hpp"
#include "sync/runtime/sync_runtime.hpp"
#include "net/io_pool.hpp"
#include "tests/support/wait.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <set>

using namespace sr::sync;
using namespace sr::test;
using namespace std::chrono_literals;

namespace {

struct Harness {
  sr::net::IoPool pool{2};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{pool.executor()};
  std::shared_ptr<SpoolStore> spool = *SpoolStore::open({"", 256 * 1024, 1ull << 30});
  SyncStats stats;
  std::mutex mu;
  std::vector<std::shared_ptr<CompletedRun>> runs;
  EventCounter delivered;
  std::unique_ptr<SyncRuntime> runtime;

  explicit Harness(RuntimeOptions o = {}) {
    o.agent_id = "agent-1";
    o.partition = "edge";
    if (o.min_interval == RuntimeOptions{}.min_interval) o.min_interval = 1ms;
    runtime = std::make_unique<SyncRuntime>(pool.executor(), o, spool, stats, [this](auto run) {
      {
        std::lock_guard lock(mu);
        runs.push_back(std::move(run));
      }
      delivered.bump();
    });
    pool.start();
  }
  ~Harness() {
    std::promise<void> stopped;
    runtime->stop([&] { stopped.set_value(); });
    auto f = stopped.get_future();
    get_bounded(f, "runtime stop");
    work.reset();
    pool.join();
  }
  void apply(const std::string& json) { runtime->apply(parse_sources(json)); }
  std::shared_ptr<CompletedRun> run(std::size_t i) {
    std::lock_guard lock(mu);
    return runs.at(i);
  }
};

std::set<std::string> device_ips(const CompletedRun& run) {
  std::set<std::string> ips;
  const auto total = static_cast<std::int32_t>(run.spool->chunks());
  for (std::int32_t i = 0; i < total; ++i) {
    auto chunk = run.spool->read(static_cast<std::size_t>(i));
    REQUIRE(chunk);
    auto msg = build_chunk_message(*chunk, SyncMeta{run.sync_service_id, run.run_id, i, total, run.spool->devices()});
    const auto doc = boost::json::parse(msg);
    for (const auto& d : doc.as_array()) ips.insert(std::string(d.at("ip").as_string()));
  }
  return ips;
}

}  // namespace

TEST_CASE("a faker source runs at start and its complete run reaches the handler", "[sync][runtime]") {
  Harness h;
  h.apply(R"({"sources":{"lab":{"type":"faker","total_devices":30000,"sync_service_id":"svc-1","poll_interval":"1h"}}})");
  h.delivered.wait_for_at_least(1, "first run");
  auto run = h.run(0);
  CHECK(run->source == "lab");
  CHECK(run->sync_service_id == "svc-1");
  CHECK(run->run_id.size() == 36);
  CHECK(run->spool->devices() == 30000);
  CHECK(run->spool->chunks() >= 1);
  CHECK(run->spool->bytes_on_disk() > 0);  // 256 KiB budget: most went to the file
  CHECK(device_ips(*run).size() == 30000);
  const auto s = h.stats.get("lab");
  CHECK(s.runs_started == 1);
  CHECK(s.runs_succeeded == 1);
  CHECK(s.last_devices == 30000);
  CHECK(s.last_result == "ok");
  CHECK(h.stats.status_json().find("\"lab\":{\"type\":\"faker\"") != std::string::npos);
  CHECK(h.runtime->metrics_text().find("serviceradar_sync_runs_succeeded_total{source=\"lab\"} 1") != std::string::npos);
}

TEST_CASE("which runners start, restart, stop and keep", "[sync][runtime]") {
  auto wanted = parse_sources(R"({"sources":{"a":{"type":"faker"},"b":{"type":"faker","seed":2},"c":{"type":"faker"}}})").sources;
  std::map<std::string, std::string> running{{"a", wanted[0].fingerprint}, {"b", "old"}, {"d", "x"}};
  auto plan = plan_sources(running, wanted);
  CHECK(plan.keep == std::vector<std::string>{"a"});
  CHECK(plan.restart == std::vector<std::string>{"b"});
  CHECK(plan.start == std::vector<std::string>{"c"});
  CHECK(plan.stop == std::vector<std::string>{"d"});
}

TEST_CASE("a changed source restarts, an unchanged one keeps running, a removed one stops", "[sync][runtime]") {
  Harness h;
  h.apply(R"({"sources":{"keep":{"type":"faker","total_devices":100,"poll_interval":"1h"},
                         "edit":{"type":"faker","total_devices":100,"poll_interval":"1h"}}})");
  h.delivered.wait_for_at_least(2, "first runs");
  h.apply(R"({"sources":{"keep":{"type":"faker","total_devices":100,"poll_interval":"1h"},
                         "edit":{"type":"faker","total_devices":200,"poll_interval":"1h"}}})");
  h.delivered.wait_for_at_least(3, "the restarted source's run");
  auto third = h.run(2);
  CHECK(third->source == "edit");
  CHECK(third->spool->devices() == 200);
  CHECK(h.stats.get("keep").runs_started == 1);  // not restarted

  // Removing every source stops every runner: the runtime goes idle.
  h.apply(R"({"sources":{}})");
  std::promise<void> idle;
  h.runtime->when_idle([&] { idle.set_value(); });
  auto f = idle.get_future();
  get_bounded(f, "idle after an empty config");
  CHECK(h.stats.snapshot().empty());
  CHECK(h.delivered.count() == 3);
}

TEST_CASE("a tick during a run is skipped and counted; runs never overlap", "[sync][runtime]") {
  Harness h;
  h.apply(R"({"sources":{"busy":{"type":"faker","total_devices":400000,"poll_interval":"1ms"}}})");
  int overlaps = 0;
  CHECK(eventually([&] {
    const auto s = h.stats.get("busy");
    overlaps += s.runs_started > s.runs_succeeded + s.runs_failed + 1;
    return s.ticks_skipped >= 3 && s.runs_succeeded >= 1;
  }));
  CHECK(overlaps == 0);
}

TEST_CASE("a run over its time limit fails and sends nothing", "[sync][runtime]") {
  Harness h;
  h.apply(R"({"sources":{"slow":{"type":"faker","total_devices":5000000,"run_timeout":"20ms","poll_interval":"1h"}}})");
  CHECK(eventually([&] { return h.stats.get("slow").runs_failed == 1; }));
  const auto s = h.stats.get("slow");
  CHECK(s.last_error == "run time limit of 20 ms reached");
  CHECK(s.last_result == "failed");
  CHECK(h.delivered.count() == 0);
  CHECK(h.spool->memory_used() == 0);  // the failed run's chunks are released
  CHECK(h.spool->disk_used() == 0);
}

TEST_CASE("network_blacklist drops devices; a broken source never stops another", "[sync][runtime]") {
  Harness h;
  h.apply(R"({"sources":{"lab":{"type":"faker","total_devices":1000,"network_blacklist":["172.16.0.0/24"],"poll_interval":"1h"},
                         "broken":{"type":"armis","endpoint":"https://armis.example"},
                         "nb":{"type":"netbox","endpoint":"https://netbox.example"}}})");
  h.delivered.wait_for_at_least(1, "lab's run");
  auto run = h.run(0);
  CHECK(run->spool->devices() == 1000 - 255);  // 172.16.0.1 .. 172.16.0.255
  const auto ips = device_ips(*run);
  CHECK(ips.count("172.16.0.200") == 0);
  CHECK(ips.count("172.16.1.1") == 1);
  CHECK(h.stats.get("lab").filtered_total == 255);
  CHECK(h.stats.get("broken").last_error == "credentials need api_key (and api_secret) or secret_key");
  CHECK(h.stats.get("nb").last_result == "failed");
}

TEST_CASE("config fallbacks and identifier collisions are in the heartbeat status and the metrics",
          "[sync][runtime][config]") {
  Harness h;
  // Two NetBox instances in the agent's partition ("edge") claim the same
  // netbox_device_id values; the faker's blacklist has an entry that is not a CIDR.
  h.apply(R"({"sources":{
    "dc1":{"type":"netbox","endpoint":"https://127.0.0.1:9","credentials":{"token":"T"},"poll_interval":"1h"},
    "dc2":{"type":"NetBox","endpoint":"https://127.0.0.2:9","credentials":{"token":"T"},"poll_interval":"1h",
           "partition":"edge"},
    "lab":{"type":"faker","total_devices":10,"network_blacklist":["nonsense"],"poll_interval":"1h"},
    "trap":{"type":"snmp"}}})");
  const auto status = boost::json::parse(h.stats.status_json()).as_object();
  const auto& sources = status.at("sources").as_object();
  auto warnings_of = [&](const char* name) {
    std::vector<std::string> out;
    if (const auto* w = sources.at(name).as_object().if_contains("warnings"))
      for (const auto& v : w->as_array()) out.emplace_back(v.as_string());
    return out;
  };
  REQUIRE(warnings_of("dc1").size() == 1);
  CHECK(warnings_of("dc1")[0].find("netbox_device_id values may collide with source \"dc2\"") == 0);
  REQUIRE(warnings_of("dc2").size() == 1);
  REQUIRE(warnings_of("lab").size() == 1);
  CHECK(warnings_of("lab")[0] == "network_blacklist[0]: \"nonsense\" is not a CIDR (no /prefix): skipped");
  REQUIRE(status.at("warnings").as_array().size() == 1);
  CHECK(std::string(status.at("warnings").as_array()[0].as_string()).find("source \"trap\" not run") == 0);
  const auto metrics = h.runtime->metrics_text();
  CHECK(metrics.find("serviceradar_sync_config_warnings{source=\"dc1\"} 1") != std::string::npos);
  CHECK(metrics.find("serviceradar_sync_config_document_warnings 1") != std::string::npos);
  // A new config without the second instance clears the collision.
  h.apply(R"({"sources":{
    "dc1":{"type":"netbox","endpoint":"https://127.0.0.1:9","credentials":{"token":"T"},"poll_interval":"1h"}}})");
  const auto after = boost::json::parse(h.stats.status_json()).as_object();
  CHECK_FALSE(after.at("sources").as_object().at("dc1").as_object().contains("warnings"));
  CHECK_FALSE(after.contains("warnings"));
}

TEST_CASE("devices past a source's memory cap are a counter per source", "[sync][runtime][metrics]") {
  sr::sync::SyncStats stats;
  stats.update("dc1", [](sr::sync::SourceStats& s) { s.over_cap_total = 3000; });
  stats.update("lab", [](sr::sync::SourceStats&) {});
  const auto page = stats.metrics_text();
  CHECK(page.find("# TYPE serviceradar_sync_devices_over_cap_total counter\n") != std::string::npos);
  CHECK(page.find("serviceradar_sync_devices_over_cap_total{source=\"dc1\"} 3000\n") != std::string::npos);
  CHECK(page.find("serviceradar_sync_devices_over_cap_total{source=\"lab\"} 0\n") != std::string::npos);
}

TEST_CASE("a source's stats record how each run ended", "[sync][runtime][stats]") {
  SourceStats s;
  s.run_started();
  CHECK(s.running);
  CHECK(s.runs_started == 1);
  auto partial = RunOutcome::completed(2);
  partial.retries = {3, std::chrono::milliseconds(1500)};
  s.record(partial, RunMeasures{1.5, 40, 2, 5, 1'700'000'000});
  CHECK_FALSE(s.running);
  CHECK(s.last_result == "partial");
  CHECK(s.last_completed());
  CHECK(s.runs_succeeded == 1);
  CHECK(s.last_devices == 40);
  CHECK(s.devices_total == 40);
  CHECK(s.chunks_total == 2);
  CHECK(s.filtered_total == 5);
  CHECK(s.skipped_total == 2);
  CHECK(s.retries_total == 3);
  CHECK(s.retry_wait_seconds_total == 1.5);
  CHECK(s.last_run_unix == 1'700'000'000);

  s.run_started();
  s.record(RunOutcome::failed("auth", "401 from the API", 401), RunMeasures{0.25, 0, 0, 1, 1'700'000'060});
  CHECK(s.last_result == "failed");
  CHECK_FALSE(s.last_completed());
  CHECK(s.runs_failed == 1);
  CHECK(s.last_error == "401 from the API");
  CHECK(s.last_stage == "auth");
  CHECK(s.last_http_status == 401);
  CHECK(s.last_devices == 40);   // a failed run leaves the last complete run's figures
  CHECK(s.devices_total == 40);
  CHECK(s.filtered_total == 6);  // counted whatever the outcome
  CHECK(s.last_duration_seconds == 0.25);
  CHECK(s.run_seconds_total == 1.5);
}

// The agent stopping just as its first config arrives: stop() ran between a
// source's start and its loop's first step, found the runtime idle, and the
// loop then waited an hour for its next tick, so the pool never drained and
// the agent never exited (seen once in agent/e2e/trust under ASan).
TEST_CASE("a stop racing a config's first sources leaves nothing running", "[sync][runtime][shutdown]") {
  constexpr int kRounds = 200;
  const auto config = parse_sources(
      R"({"sources":{"lab":{"type":"faker","total_devices":10,"poll_interval":"1h"},
                     "dc":{"type":"faker","total_devices":10,"poll_interval":"1h"}}})");
  int hung = 0;
  for (int round = 0; round < kRounds && hung == 0; ++round) {
    sr::net::IoPool pool{2};
    auto work = std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
        pool.executor());
    auto spool = *SpoolStore::open({"", 256 * 1024, 1ull << 30});
    SyncStats stats;
    RuntimeOptions o;
    o.min_interval = 1ms;
    SyncRuntime runtime(pool.executor(), o, spool, stats, [](auto) {});
    pool.start();
    std::promise<void> stopped;
    std::thread applier([&] { runtime.apply(config); });
    runtime.stop([&] { stopped.set_value(); });
    applier.join();
    auto f = stopped.get_future();
    get_bounded(f, "runtime stop");
    work.reset();
    // Drained: every coroutine ended and nothing waits on a timer.
    auto drained = std::async(std::launch::async, [&] { pool.join(); });
    if (drained.wait_for(sr::test::event_timeout()) != std::future_status::ready) {
      ++hung;
      pool.stop();  // let the test end; the round is counted as hung
    }
    drained.get();
  }
  CHECK(hung == 0);
}
