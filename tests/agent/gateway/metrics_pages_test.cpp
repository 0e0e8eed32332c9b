// The agent's /metrics pages that carry peer-chosen label values (the
// config version from the gateway, source names from the config) keep them
// inside one label of one series. promtool checks the pages when installed.
#include "agent/gateway/control_plane.hpp"
#include "sync/runtime/sync_stats.hpp"
#include "tests/support/promtool.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <string>

using sr::test::promtool_accepts;

TEST_CASE("the control plane's page keeps a hostile config version in its label", "[agent][metrics]") {
  boost::asio::io_context ioc;
  sr::agent::ConfigApplier configs(true, {});
  const sr::agent::MessageIdentity messages({}, "", {}, true);
  sr::agent::ControlPlane cp(ioc.get_executor(), sr::agent::BootstrapConfig{}, messages, configs);
  configs.apply_config("v1\"} 1\nserviceradar_agent_ready 1\n\\", "{}", sr::agent::ConfigOrigin::cached);
  const auto page = cp.metrics_text();
  CHECK_THAT(page, Catch::Contains(
      "serviceradar_agent_config_info{version=\"v1\\\"} 1\\nserviceradar_agent_ready 1\\n\\\\\"} 1\n"));
  CHECK(page.find("\nserviceradar_agent_ready 1\n") == std::string::npos);  // no forged series
  CHECK(promtool_accepts(page));
}

TEST_CASE("sync metrics escape source names for Prometheus, not for JSON", "[agent][metrics]") {
  sr::sync::SyncStats stats;
  // A tab is \t in JSON, which the Prometheus format does not know.
  stats.update("lab\t\"one\"\n", [](sr::sync::SourceStats& s) { s.runs_started = 1; });
  const auto page = stats.metrics_text();
  CHECK_THAT(page, Catch::Contains("serviceradar_sync_runs_started_total{source=\"lab\t\\\"one\\\"\\n\"} 1\n"));
  CHECK(page.find("\\t") == std::string::npos);
  CHECK(promtool_accepts(page));
}
