// Prometheus label values: the three escapes of the text format, nothing
// else; a hostile value cannot end the label or start a new series, in the
// helper and in the agent's pages that have labels (control plane, sync
// stats). When promtool (Debian's prometheus package) is installed, the
// pages are also checked by it.
#include "agent/gateway/control_plane.hpp"
#include "base/prometheus_text.hpp"
#include "sync/runtime/sync_stats.hpp"

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

using sr::base::prometheus::escape_label_value;
using sr::base::prometheus::label;

namespace {

// promtool check metrics on `page`; true (with a warning) when promtool is not installed.
bool promtool_accepts(const std::string& page) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    WARN("promtool not installed: the exposition was checked by its escapes only");
    return true;
  }
  const std::string path = "/tmp/sr-metrics-text-" + std::to_string(::getpid()) + ".prom";
  std::ofstream(path) << page;
  const int rc = std::system(("promtool check metrics < " + path + " >/dev/null 2>&1").c_str());
  std::remove(path.c_str());
  return rc == 0;
}

}  // namespace

TEST_CASE("label values escape backslash, quote and newline only", "[net][metrics]") {
  CHECK(escape_label_value("v1-abc") == "v1-abc");
  CHECK(escape_label_value(R"(a\b)") == R"(a\\b)");
  CHECK(escape_label_value(R"(say "hi")") == R"(say \"hi\")");
  CHECK(escape_label_value("two\nlines") == R"(two\nlines)");
  // Tabs, UTF-8 and other bytes stay as they are: the format has no other escape.
  CHECK(escape_label_value("tab\there é") == "tab\there é");
  CHECK(escape_label_value("") == "");
}

TEST_CASE("a version with a quote and a newline stays one label of one series", "[net][metrics]") {
  const std::string hostile = "v1\"} 1\nserviceradar_agent_ready 1\n#";
  const std::string line = "serviceradar_agent_config_info{" + label("version", hostile) + "} 1\n";
  CHECK(line == "serviceradar_agent_config_info{version=\"v1\\\"} 1\\nserviceradar_agent_ready 1\\n#\"} 1\n");
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);

  CHECK(promtool_accepts("# HELP serviceradar_agent_config_info The config version applied last.\n"
                         "# TYPE serviceradar_agent_config_info gauge\n" + line));
}

TEST_CASE("the control plane's page keeps a hostile config version in its label", "[net][metrics]") {
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

TEST_CASE("sync metrics escape source names for Prometheus, not for JSON", "[net][metrics]") {
  sr::sync::SyncStats stats;
  // A tab is \t in JSON, which the Prometheus format does not know.
  stats.update("lab\t\"one\"\n", [](sr::sync::SourceStats& s) { s.runs_started = 1; });
  const auto page = stats.metrics_text();
  CHECK_THAT(page, Catch::Contains("serviceradar_sync_runs_started_total{source=\"lab\t\\\"one\\\"\\n\"} 1\n"));
  CHECK(page.find("\\t") == std::string::npos);
  CHECK(promtool_accepts(page));
}
