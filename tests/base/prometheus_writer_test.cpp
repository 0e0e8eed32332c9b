// The Prometheus text writer: HELP/TYPE once per family, escaped labels,
// integer and fixed-decimal values as the agent's pages print them.
#include "base/prometheus_text.hpp"

#include <catch2/catch.hpp>

using sr::base::prometheus::Type;
using sr::base::prometheus::Value;
using sr::base::prometheus::Writer;

TEST_CASE("a family of one sample", "[base][metrics]") {
  Writer w;
  w.single("x_total", Type::counter, "Things.", std::uint64_t{3});
  w.single("x_up", Type::gauge, "Up.", true);
  CHECK(w.text() ==
        "# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n"
        "# HELP x_up Up.\n# TYPE x_up gauge\nx_up 1\n");
}

TEST_CASE("labelled series escape their values", "[base][metrics]") {
  Writer w;
  w.family("rpc_total", Type::counter, "RPCs.");
  w.sample({{"method", "Hello"}, {"code", "OK"}}, 2);
  w.sample({{"method", "a\"b\\c\nd"}}, -1);
  CHECK(w.take() ==
        "# HELP rpc_total RPCs.\n# TYPE rpc_total counter\n"
        "rpc_total{method=\"Hello\",code=\"OK\"} 2\n"
        "rpc_total{method=\"a\\\"b\\\\c\\nd\"} -1\n");
}

TEST_CASE("a family without series still says HELP and TYPE", "[base][metrics]") {
  Writer w;
  w.family("empty", Type::gauge, "None yet.");
  CHECK(w.text() == "# HELP empty None yet.\n# TYPE empty gauge\n");
}

TEST_CASE("doubles have a fixed number of decimals", "[base][metrics]") {
  CHECK(Value::fixed(0.0001234, 6).text() == "0.000123");
  CHECK(Value::fixed(1.5, 3).text() == "1.500");
  CHECK(Value(std::size_t{7}).text() == "7");
  CHECK(Value(false).text() == "0");
}
