// One path for fetched, pushed and cached configs: a version already running
// is not applied again, a config that is not JSON is refused whole, a cached
// config runs without making the agent ready, and only configs from the
// gateway are kept for the next start.
#include "agent/config/config_applier.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace sr::agent;

namespace {

const std::string kOne = R"({"sources":{"lab":{"type":"faker","total_devices":"10"}}})";

struct Recorder {
  std::vector<std::size_t> runs;  // sources per run_sources call
  std::vector<std::string> kept;  // versions kept
  ConfigSinks sinks() {
    return {[this](const sr::sync::SourcesConfig& s) { runs.push_back(s.sources.size()); },
            [this](const std::string& v, const std::string&) { kept.push_back(v); }};
  }
};

}  // namespace

TEST_CASE("a config from the gateway runs, is kept and makes the agent ready", "[agent][config]") {
  Recorder r;
  ConfigApplier configs(true, r.sinks());
  CHECK_FALSE(configs.applied());
  configs.apply_config("v1", kOne, ConfigOrigin::enrolment);
  CHECK(configs.applied());
  CHECK(configs.version() == "v1");
  CHECK(r.runs == std::vector<std::size_t>{1});
  CHECK(r.kept == std::vector<std::string>{"v1"});
}

TEST_CASE("the version already running is not applied again", "[agent][config]") {
  Recorder r;
  ConfigApplier configs(true, r.sinks());
  configs.apply_config("v1", kOne, ConfigOrigin::enrolment);
  configs.apply_config("v1", kOne, ConfigOrigin::pushed);
  CHECK(r.runs.size() == 1);
  configs.apply_config("v2", R"({"sources":{}})", ConfigOrigin::poll);
  CHECK(r.runs == std::vector<std::size_t>{1, 0});
  CHECK(configs.version() == "v2");
}

TEST_CASE("a config that is not JSON is refused and the last good one runs on", "[agent][config]") {
  Recorder r;
  ConfigApplier configs(true, r.sinks());
  configs.apply_config("v1", kOne, ConfigOrigin::enrolment);
  configs.apply_config("v2", "not json", ConfigOrigin::pushed);
  CHECK(configs.version() == "v1");
  CHECK(r.runs.size() == 1);
  CHECK(r.kept == std::vector<std::string>{"v1"});
}

TEST_CASE("a cached config runs until the gateway answers, then the same version applies once", "[agent][config]") {
  Recorder r;
  ConfigApplier configs(true, r.sinks());
  configs.apply_config("v1", kOne, ConfigOrigin::cached);
  CHECK(configs.version() == "v1");  // Hello reports it
  CHECK_FALSE(configs.applied());     // not ready on a cached config alone
  CHECK(r.runs.size() == 1);
  CHECK(r.kept.empty());              // the cache is not written back
  configs.apply_config("v1", kOne, ConfigOrigin::pushed);
  CHECK(configs.applied());
  CHECK(r.runs.size() == 2);
  CHECK(r.kept == std::vector<std::string>{"v1"});
}

TEST_CASE("with the sync runtime off no source runs, and the config still counts", "[agent][config]") {
  Recorder r;
  ConfigApplier configs(false, r.sinks());
  configs.apply_config("v1", kOne, ConfigOrigin::enrolment);
  CHECK(r.runs.empty());
  CHECK(configs.applied());
  CHECK(r.kept == std::vector<std::string>{"v1"});
}
