// Prometheus label values: the three escapes of the text format, nothing
// else; a hostile value cannot end the label or start a new series. The
// agent's pages that have labels are checked in tests/agent/metrics_pages.
#include "base/prometheus_text.hpp"
#include "tests/support/promtool.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using sr::base::prometheus::escape_label_value;
using sr::base::prometheus::label;
using sr::test::promtool_accepts;

TEST_CASE("label values escape backslash, quote and newline only", "[base][metrics]") {
  CHECK(escape_label_value("v1-abc") == "v1-abc");
  CHECK(escape_label_value(R"(a\b)") == R"(a\\b)");
  CHECK(escape_label_value(R"(say "hi")") == R"(say \"hi\")");
  CHECK(escape_label_value("two\nlines") == R"(two\nlines)");
  // Tabs, UTF-8 and other bytes stay as they are: the format has no other escape.
  CHECK(escape_label_value("tab\there é") == "tab\there é");
  CHECK(escape_label_value("") == "");
}

TEST_CASE("a version with a quote and a newline stays one label of one series", "[base][metrics]") {
  const std::string hostile = "v1\"} 1\nserviceradar_agent_ready 1\n#";
  const std::string line = "serviceradar_agent_config_info{" + label("version", hostile) + "} 1\n";
  CHECK(line == "serviceradar_agent_config_info{version=\"v1\\\"} 1\\nserviceradar_agent_ready 1\\n#\"} 1\n");
  CHECK(std::count(line.begin(), line.end(), '\n') == 1);

  CHECK(promtool_accepts("# HELP serviceradar_agent_config_info The config version applied last.\n"
                         "# TYPE serviceradar_agent_config_info gauge\n" + line));
}
