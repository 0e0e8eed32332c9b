// The sync runtime's heartbeat, as the gateway reads it; and the run history it feeds.
#include "tools/agent-gateway/gateway_state.hpp"
#include "tools/agent-gateway/status/heartbeat_report.hpp"
#include "tools/agent-gateway/status/status_page.hpp"

#include <catch2/catch.hpp>

using namespace sr::gateway;

TEST_CASE("a heartbeat's sources become reports", "[status]") {
  auto r = parse_sync_heartbeat(
      R"({"config_version":"v1","sources":{"hq":{"type":"armis","last_run":"2026-11-29T10:00:00Z","result":"failed",)"
      R"("devices":0,"error":"HTTP 401","stage":"auth","http_status":401,"retries":3,"new_key":[1]},)"
      R"("lab":{"type":"faker","last_run":null,"result":"pending","devices":12}}})",
      "agent-1", 1234);
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  const auto& hq = (*r)[0];
  CHECK(hq.name == "hq");
  CHECK(hq.type == "armis");
  CHECK(hq.result == "failed");
  CHECK(hq.error == "HTTP 401");
  CHECK(hq.stage == "auth");
  CHECK(hq.retries == 3);
  CHECK(hq.agent_id == "agent-1");
  CHECK(hq.reported_at == 1234);
  CHECK((*r)[1].last_run == "");
  CHECK((*r)[1].devices == 12);
}

TEST_CASE("unreadable heartbeats are refused naming what was wrong", "[status]") {
  CHECK(parse_sync_heartbeat("not json", "a", 0).error().find("not JSON") != std::string::npos);
  CHECK(parse_sync_heartbeat("[]", "a", 0).error().find("not a JSON object") != std::string::npos);
  CHECK(parse_sync_heartbeat(R"({"sources":[]})", "a", 0).error().find("\"sources\"") != std::string::npos);
  CHECK(parse_sync_heartbeat(R"({"sources":{"hq":{"devices":-1}}})", "a", 0).error() ==
        "sources.hq.devices: not a count");
  CHECK(parse_sync_heartbeat(R"({"sources":{"hq":{"error":5}}})", "a", 0).error() == "sources.hq.error: not a string");
  CHECK(parse_sync_heartbeat(R"({"config_version":"v1"})", "a", 0)->empty());
}

TEST_CASE("each finished run joins the history once, bounded", "[status]") {
  GatewayState state;
  auto report = [](const std::string& at, std::uint64_t devices, const std::string& result) {
    SourceReport r;
    r.name = "lab";
    r.last_run = at;
    r.devices = devices;
    r.result = result;
    return r;
  };
  state.sources_reported({"acme", "agent-1"}, {report("t1", 10, "ok")});
  state.sources_reported({"acme", "agent-1"}, {report("t1", 10, "ok")});       // the same run, heard again
  state.sources_reported({"acme", "agent-1"}, {report("t1", 10, "running")});  // the next one in flight
  state.sources_reported({"acme", "agent-1"}, {report("t2", 12, "partial")});
  auto lab = state.sources_of("acme").at("lab");
  REQUIRE(lab.runs.size() == 2);
  CHECK(lab.runs[0].devices == 10);
  CHECK(lab.runs[1].result == "partial");
  for (int i = 0; i < 100; ++i) state.sources_reported({"acme", "agent-1"}, {report("r" + std::to_string(i), i, "ok")});
  lab = state.sources_of("acme").at("lab");
  CHECK(lab.runs.size() == GatewayState::kRecentRuns);
  CHECK(lab.runs.back().at == "r99");
  CHECK(state.sources_of("globex").empty());
}

TEST_CASE("the status page is self-contained and never writes markup from data", "[status]") {
  const std::string page(status_page_html());
  CHECK(page.find("fetch(\"/status\")") != std::string::npos);
  CHECK(page.find("fetch(\"/inventory?stale=1&limit=1000\"") != std::string::npos);
  CHECK(page.find("\"Authorization\": \"Bearer \" + token") != std::string::npos);
  CHECK(page.find("innerHTML") == std::string::npos);
  CHECK(page.find("http://") == page.find("http://www.w3.org/2000/svg"));  // no external fetches
  CHECK(page.find("https://") == std::string::npos);
}

namespace {

std::vector<SourceReport> sources_named(const std::string& prefix, int n) {
  std::vector<SourceReport> out;
  for (int i = 0; i < n; ++i) {
    SourceReport r;
    r.name = prefix + std::to_string(i);
    r.result = "ok";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("a heartbeat's sources are bounded per agent and replace the ones before", "[status]") {
  GatewayState state;
  // 10,000 names: far past the bound of 256 per agent.
  CHECK(state.sources_reported({"acme", "agent-1"}, sources_named("s", 10'000)) == 10'000 - 256);
  CHECK(state.sources_of("acme").size() == GatewayState::kMaxSourcesPerAgent);
  CHECK(state.agents_of("acme").at({"acme", "agent-1"}).sources_dropped == 10'000 - 256);
  // Another agent's sources are its own: pruning agent-1 leaves them.
  state.sources_reported({"acme", "agent-2"}, sources_named("other", 3));
  // A later heartbeat with fewer sources: the rest are gone.
  CHECK(state.sources_reported({"acme", "agent-1"}, sources_named("s", 2)) == 0);
  const auto left = state.sources_of("acme");
  CHECK(left.size() == 2 + 3);
  CHECK(left.count("s0") == 1);
  CHECK(left.count("s1") == 1);
  CHECK(left.count("s2") == 0);
  CHECK(left.count("other2") == 1);
  CHECK(state.status_json(0).find("\"s255\"") == std::string::npos);
}
