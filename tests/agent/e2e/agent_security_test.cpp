// Security properties of the agent as a real process: no plaintext unless
// asked for, the gateway's certificate name checked, private state on disk,
// source names never used as paths, credentials never shown.
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

using namespace sr::test;
namespace fs = std::filesystem;

namespace {

const char* kSecret = "SECRET-sec-test-0b7e";

GatewayFixtureOptions faker_store(const std::string& source_name) {
  GatewayFixtureOptions o;
  o.stores = {{"acme", R"({"sources":{")" + source_name +
                           R"(":{"type":"faker","poll_interval":"1h","total_devices":300,"credentials":{"api_key":")" +
                           kSecret + R"("}}}})"}};
  o.extra_args = {"--heartbeat-interval", "1"};
  return o;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("no plaintext to the gateway unless allow_insecure says so", "[agent][security]") {
  ChildProcess agent(std::getenv("SR_AGENT"), {"run"}, {"SR_GATEWAY_ADDR=127.0.0.1:1"});
  CHECK(agent.wait_exit() == 78);  // EX_CONFIG: refused before any connection
  CHECK_THAT(agent.log_text(), Catch::Contains("cert_file is required (or cert_dir, or allow_insecure for plaintext)"));

  // Told to, it warns; against a TLS gateway the plaintext connection gets nowhere.
  GatewayFixture gw;
  ChildProcess plain(std::getenv("SR_AGENT"), {"run", "--backoff-initial", "200ms", "--backoff-max", "400ms"},
                     {"SR_GATEWAY_ADDR=" + gw.grpc_address(), "SR_ALLOW_INSECURE=true", "SR_AGENT_ID=agent-1"});
  CHECK(plain.wait_for_log("gRPC to the gateway is PLAINTEXT"));
  CHECK(plain.wait_for_log("reconnecting in"));
  CHECK(plain.log_text().find("enrolled with gateway") == std::string::npos);
  check_clean_exit(plain);
}

TEST_CASE("the gateway's certificate must name the address the agent dialled", "[agent][security]") {
  GatewayFixture gw;
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {}, {"SR_SERVER_NAME=not-the-gateway.example"});
  CHECK(agent->wait_for_log("reconnecting in"));
  INFO(agent->log_text());
  CHECK(agent->log_text().find("enrolled with gateway") == std::string::npos);
  // The gateway never saw a verified agent either.
  CHECK(gw.http_get("/status").find("agent-1") == std::string::npos);
  check_clean_exit(*agent);
}

TEST_CASE("state, spool and cache are private; a source name is never a path", "[agent][security]") {
  // A source name that would climb out of the state directory if used as a path.
  GatewayFixture gw(faker_store("../../escape"));
  TempDir state("sr-agent-private");
  const auto dir = state.path / "state";
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);  // as a 022 umask leaves it
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {"--state-dir", dir.string()});
  REQUIRE(agent->wait_for_log("delivered: 300 devices"));
  CHECK(agent->log_text().find("was open to other users: now 0700") != std::string::npos);
  CHECK(mode_of(dir) == 0700);
  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    INFO(e.path());
    if (e.is_directory()) CHECK(mode_of(e.path()) == 0700);
    else {
      CHECK((mode_of(e.path()) & 0077) == 0);  // nobody else reads what the agent keeps
      ++files;
    }
    CHECK(e.path().string().find("escape") == std::string::npos);
  }
  CHECK(files >= 1);  // at least the config cache
  // Nothing was written next to (or above) the state directory.
  for (const auto& e : fs::directory_iterator(state.path)) CHECK(e.path() == dir);
  check_clean_exit(*agent);
  CHECK(agent->log_text().find(kSecret) == std::string::npos);
  CHECK(gw.process().log_text().find(kSecret) == std::string::npos);
}
