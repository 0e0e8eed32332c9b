// The agent started from the upstream Go agent's agent.json, as an operator
// migrating keeps it (the packaging shape, the test PKI installed under its
// file names, agent_id 'default-agent' where the certificate says agent-1),
// against the real reference gateway over mTLS. With sync_runtime_enabled
// false it enrols, takes the config and runs none of its sources, and the
// gateway sees no sync capability; without the key it runs them.
#include "tests/agent/bootstrap/upstream_fixture.hpp"
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <optional>

using namespace sr::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string kToken = "admin-token-upstream-0123456789";
const char* kIgnored =
    "keys ignored (features this agent does not have): agent_name, checkers_dir, host_ip, push_interval, "
    "status_debounce_interval, status_heartbeat_interval";

GatewayFixtureOptions gateway_with_lab() {
  GatewayFixtureOptions o;
  o.stores = {{"acme", R"({"sources":{"lab":{"type":"faker","poll_interval":"1h","sync_service_id":"svc-lab",)"
                       R"("total_devices":100}}})"}};
  o.extra_args = {"--heartbeat-interval", "1", "--config-poll-interval", "1"};
  o.admin_token = kToken;
  return o;
}

// The packaging file pointed at this gateway; `sync`: the value of
// sync_runtime_enabled, or nullopt to remove the key.
std::unique_ptr<UpstreamBootstrap> packaging_file(const std::string& gateway, std::optional<bool> sync) {
  return deploy_upstream("packaging-agent.json", "agent-1", [&](json::object& doc) {
    doc["gateway_addr"] = gateway;
    doc["gateway_security"].as_object()["server_name"] = "localhost";  // the test gateway's name
    if (sync) doc["sync_runtime_enabled"] = *sync;
    else doc.erase("sync_runtime_enabled");
  });
}

// Nothing but the file: no SR_* variables, only the test's fast timings.
std::unique_ptr<ChildProcess> start_from_file(const UpstreamBootstrap& boot) {
  return std::make_unique<ChildProcess>(
      std::getenv("SR_AGENT"),
      std::vector<std::string>{"run", "--config", boot.file.string(), "--backoff-initial", "200ms",
                               "--backoff-max", "800ms", "--min-poll-interval", "200ms", "--state-dir",
                               (boot.dir.path / "state").string(), "--metrics-addr", "127.0.0.1:0"});
}

// agent-1's record on the gateway's /status.
json::object agent_record(const GatewayFixture& gw) {
  const auto status = json::parse(gw.http_get("/status"));
  for (const auto& a : status.at("tenants").at("acme").at("agents").as_array())
    if (a.at("agent_id").as_string() == "agent-1") return a.as_object();
  return {};
}

std::int64_t pushes(const GatewayFixture& gw) {
  const auto a = agent_record(gw);
  return a.contains("pushes") ? a.at("pushes").to_number<std::int64_t>() : 0;
}

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("from the upstream agent.json with sync_runtime_enabled false: enrolled, config taken, nothing run",
          "[agent][upstream]") {
  GatewayFixture gw(gateway_with_lab());
  const auto boot = packaging_file(gw.grpc_address(), false);
  auto agent = start_from_file(*boot);
  const bool taken = agent->wait_for_log("sync_runtime_enabled is false: 1 source(s) not run");
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(taken);
  const auto log = agent->log_text();
  CHECK(count_of(log, "enrolled with gateway") >= 1);
  CHECK(count_of(log, kIgnored) == 1);
  CHECK(count_of(log, "agent_id 'default-agent' in " + boot->file.string() +
                          " differs from the certificate's 'agent-1'; the certificate is the identity") == 1);

  // Heartbeats keep coming; after two more, still no source has run, and the
  // config (sent by the gateway) was announced as not run once.
  const auto before = pushes(gw);
  REQUIRE(eventually([&] { return pushes(gw) >= before + 2; }));
  const auto record = agent_record(gw);
  INFO(json::serialize(record));
  CHECK(record.at("capabilities").as_array().empty());
  CHECK(!record.at("config_sent").as_string().empty());
  const auto after = agent->log_text();
  CHECK(count_of(after, "source(s) not run") == 1);
  CHECK(after.find("source started") == std::string::npos);
  CHECK(after.find("delivered") == std::string::npos);
  const auto status = json::parse(gw.http_get("/status"));
  CHECK(status.at("tenants").at("acme").at("streams").at("accepted").to_number<int>() == 0);
  CHECK(status.at("tenants").at("acme").at("sources").as_object().empty());
  // Ready all the same: enrolled with a config applied.
  const auto http = agent_http_address(*agent);
  CHECK(http_request(http, "/readyz").first == 200);
  CHECK_THAT(http_request(http, "/metrics").second, Catch::Contains("serviceradar_agent_sync_runtime_enabled 0"));

  // The platform's side: the agent is listed without sync, and no source can
  // be assigned to the tenant while it is the only agent.
  const auto agents = json::parse(http_request(gw.http_address(), "/admin/tenants/acme/agents", "GET", "",
                                               "Bearer " + kToken).second);
  REQUIRE(agents.at("agents").as_array().size() == 1);
  CHECK(agents.at("agents").as_array().at(0).at("sync").as_bool() == false);
  auto [refused, body] = http_request(gw.http_address(), "/admin/tenants/acme/sources", "POST",
                                      R"({"name":"more","type":"faker","poll_interval":"1h","total_devices":5})", "Bearer " + kToken);
  CHECK(refused == 409);
  CHECK_THAT(body, Catch::Contains("no enrolled agent with the sync capability"));
  check_clean_exit(*agent);
}

TEST_CASE("from the upstream agent.json without sync_runtime_enabled: the sources run", "[agent][upstream]") {
  GatewayFixture gw(gateway_with_lab());
  const auto boot = packaging_file(gw.grpc_address(), std::nullopt);
  auto agent = start_from_file(*boot);
  const bool delivered = agent->wait_for_log("delivered: 100 devices");
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(delivered);
  CHECK(agent->log_text().find("not run") == std::string::npos);
  CHECK(eventually([&] {
    const auto caps = agent_record(gw).at("capabilities").as_array();
    return caps.size() == 1 && caps.at(0).as_string() == "sync";
  }));
  CHECK(eventually([&] {
    const auto status = json::parse(gw.http_get("/status"));
    return status.at("tenants").at("acme").at("streams").at("accepted").to_number<int>() == 1;
  }));
  check_clean_exit(*agent);
}

TEST_CASE("check-config on the upstream agent.json: warnings, then the certificate's identity",
          "[agent][upstream]") {
  const auto boot = packaging_file("127.0.0.1:50052", false);
  ChildProcess check(std::getenv("SR_AGENT"), {"check-config", "--config", boot->file.string()});
  auto ignored = check.wait_for_line("warning: ");
  REQUIRE(ignored);
  CHECK(*ignored == "warning: " + boot->file.string() + ": " + kIgnored);
  auto mismatch = check.wait_for_line("warning: ");
  REQUIRE(mismatch);
  CHECK(*mismatch == "warning: agent_id 'default-agent' in " + boot->file.string() +
                         " differs from the certificate's 'agent-1'; the certificate is the identity");
  auto id = check.wait_for_line("agent_id:");
  REQUIRE(id);
  CHECK(*id == "agent_id:  agent-1");
  auto cert = check.wait_for_line("cert_file:");
  REQUIRE(cert);
  CHECK(*cert == "cert_file: " + (boot->cert_dir / "agent.pem").string());
  auto sync = check.wait_for_line("sync:");
  REQUIRE(sync);
  CHECK(*sync == "sync:      disabled (sync_runtime_enabled false)");
  CHECK(check.wait_exit() == 0);
}
