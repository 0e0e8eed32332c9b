// The agent's state directory end to end: a planted plain config cache is
// refused in sealed mode (its sources never run), and a certificate/key
// rotation by SIGHUP re-seals the cache under the new key, so a restart with
// the new key runs it and the old key opens nothing.
#include "agent/state/config_cache.hpp"
#include "base/read_file.hpp"
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>

using namespace sr::test;
namespace fs = std::filesystem;

namespace {

const char* kSecret = "SECRET-state-7a31";

std::string faker_sources(const char* name) {
  return std::string(R"({"sources":{")") + name +
         R"(":{"type":"faker","poll_interval":"1h","sync_service_id":"svc","total_devices":50,"credentials":{"api_key":")" +
         kSecret + R"("}}}})";
}

}  // namespace

TEST_CASE("a planted plain config cache is refused in sealed mode and its sources never run",
          "[agent][state][cache]") {
  TempDir state("sr-agent-state-e2e");
  const auto cache = state.path / "config-cache.json";
  std::ofstream(cache) << R"({"format":"plain","version":"v-planted","config_json":)"
                       << boost::json::serialize(boost::json::string(faker_sources("intruder"))) << "}";
  // No gateway: whatever runs, runs from the cache.
  auto agent = start_agent("127.0.0.1:1", "agents/agent-1", {"--state-dir", state.path.string()});
  REQUIRE(agent->wait_for_log("reconnecting in"));  // start-up, cache load included, is over
  const auto log = agent->log_text();
  INFO("agent log:\n" << log);
  CHECK(log.find("config cache " + cache.string() +
                 ": not sealed (format 'plain') while config_cache is sealed: refused and removed") !=
        std::string::npos);
  CHECK(log.find("the cached config") == std::string::npos);
  CHECK(log.find("intruder") == std::string::npos);  // the source was never started
  CHECK(log.find(kSecret) == std::string::npos);
  CHECK_FALSE(fs::exists(cache));
  check_clean_exit(*agent);
}

TEST_CASE("SIGHUP key rotation re-seals the config cache under the new key", "[agent][state][cache]") {
  const TempDir temp("sr-agent-rekey");
  fs::copy(std::getenv("SR_TEST_PKI"), temp.path / "pki", fs::copy_options::recursive);
  const std::string cert = (temp.path / "pki" / "agents" / "agent-1").string();
  const auto state = temp.path / "state";
  const auto cache = state / "config-cache.json";
  const auto old_key = *sr::base::read_file(cert + ".key");
  std::string address;
  {
    GatewayFixtureOptions o;
    o.stores = {{"acme", faker_sources("lab")}};
    GatewayFixture gw(o);
    address = gw.grpc_address();
    auto agent = start_agent(address, cert, {"--state-dir", state.string()});
    REQUIRE(agent->wait_for_log("applied (enrolment)"));
    REQUIRE(eventually([&] { return fs::exists(cache); }));

    ChildProcess renew(std::getenv("SR_GEN_CERTS"),
                       {(temp.path / "pki").string(), "--tenants", "acme", "--agent", "acme/default/agent-1"});
    REQUIRE(renew.wait_exit() == 0);
    REQUIRE(*sr::base::read_file(cert + ".key") != old_key);
    ::kill(agent->pid(), SIGHUP);
    CHECK(agent->wait_for_log("config cache " + cache.string() + ": re-sealed under the rotated key"));
    check_clean_exit(*agent);
  }  // the gateway is gone
  // A restart with the rotated key runs the cache without the gateway.
  auto agent = start_agent(address, cert, {"--state-dir", state.string()});
  CHECK(agent->wait_for_log("running the cached config v"));
  check_clean_exit(*agent);
  CHECK(agent->log_text().find(kSecret) == std::string::npos);
  // The key the agent held before the rotation opens nothing: refused, not trusted.
  sr::agent::ConfigCache with_old_key(state, sr::agent::CacheMode::sealed, old_key);
  const auto loaded = with_old_key.load();
  CHECK_FALSE(loaded);
  CHECK(loaded.refused);
}
