// The agent's control plane end to end: the real serviceradar-agent process
// against the real reference gateway, both on loopback with the test PKI.
#include "base/read_file.hpp"
#include "net/tls/peer_identity.hpp"
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>

using namespace sr::test;

namespace {

const char* kSecret = "SECRET-api-key-7f3a9";
const std::string kStore = std::string(R"({"sources":{"armis-hq":{"type":"armis","endpoint":"https://armis.acme.test","credentials":{"api_key":")") +
                           kSecret + R"("}}}})";

// The JSON string value that follows `prefix` in `text`.
std::string field_after(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos) return {};
  const auto start = at + prefix.size();
  return text.substr(start, text.find('"', start) - start);
}

GatewayFixtureOptions acme_store(std::vector<std::string> extra = {}, const char* config_poll = "1") {
  GatewayFixtureOptions o;
  o.stores = {{"acme", kStore}};
  o.extra_args = {"--heartbeat-interval", "1", "--config-poll-interval", config_poll};
  o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
  return o;
}

}  // namespace

TEST_CASE("the agent enrols, applies its config, follows a pushed edit and acks it",
          "[agent][control]") {
  // GetConfig polls an hour apart: only the push can deliver the edit.
  GatewayFixture gw(acme_store({}, "3600"));
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1");
  REQUIRE(agent->wait_for_log("enrolled with gateway agent-gateway-ref as agent-1 (tenant acme)"));
  REQUIRE(agent->wait_for_log("applied (enrolment): 1 source(s): armis-hq"));
  REQUIRE(gw.process().wait_for_log("ControlStream open for agent 'agent-1'"));

  gw.write_store("acme", R"({"sources":{"faker-1":{"type":"faker"},
                                         "armis-hq":{"type":"armis","endpoint":"https://armis.acme.test"}}})");
  REQUIRE(agent->wait_for_log("applied (pushed): 2 source(s): armis-hq, faker-1"));
  // The agent acknowledged the pushed version: the gateway recorded it.
  CHECK(eventually([&] {
    const auto status = gw.http_get("/status");
    const auto sent = field_after(status, "\"config_sent\":\"");
    return !sent.empty() && status.find("\"config_acked\":\"" + sent + "\"") != std::string::npos;
  }));
  // Heartbeats arrive (gateway heartbeat interval 1 s).
  CHECK(eventually([&] { return gw.http_get("/status").find("\"pushes\":0") == std::string::npos; }));

  check_clean_exit(*agent);
  CHECK(agent->log_text().find(kSecret) == std::string::npos);
  CHECK(gw.process().log_text().find(kSecret) == std::string::npos);
}

TEST_CASE("commands over the ControlStream: unsupported and expired ones are answered as such",
          "[agent][control][commands]") {
  const std::string token = "admin-token-0123456789";
  auto options = acme_store({}, "3600");  // the store edit at the end must come as a push
  options.admin_token = token;
  GatewayFixture gw(options);
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1");
  REQUIRE(gw.process().wait_for_log("ControlStream open for agent 'agent-1'"));

  // The admin API refuses a request without the token, and says why.
  const std::string order = R"({"tenant":"acme","agent_id":"agent-1","command_type":"sweep.run",)"
                            R"("command_id":"c-unsupported","payload":{"x":1}})";
  auto [no_auth, no_auth_body] = gw.http_post("/admin/commands", order);
  CHECK(no_auth == 401);
  CHECK_THAT(no_auth_body, Catch::Contains("admin token"));
  auto [wrong_agent, wrong_agent_body] = gw.http_post(
      "/admin/commands", R"({"tenant":"acme","agent_id":"ghost","command_type":"x"})",
      "Bearer " + token);
  CHECK(wrong_agent == 409);
  CHECK_THAT(wrong_agent_body, Catch::Contains("'ghost'") && Catch::Contains("no open ControlStream"));

  auto [queued, queued_body] = gw.http_post("/admin/commands", order, "Bearer " + token);
  CHECK(queued == 202);
  CHECK_THAT(queued_body, Catch::Contains(R"("command_id":"c-unsupported")"));
  // Created an hour ago with a minute to live: expired on arrival.
  const auto hour_ago = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count() -
                                       3600);
  auto [expired, expired_body] = gw.http_post(
      "/admin/commands",
      R"({"tenant":"acme","agent_id":"agent-1","command_type":"sweep.run","command_id":"c-old",)"
      R"("ttl_seconds":60,"created_at":)" + hour_ago + "}",
      "Bearer " + token);
  CHECK(expired == 202);

  // The agent acked both, then answered each with success=false and the contract's message.
  REQUIRE(gw.process().wait_for_log("command c-unsupported (sweep.run) acknowledged"));
  REQUIRE(gw.process().wait_for_log(
      "command c-unsupported (sweep.run) on agent 'agent-1' (tenant 'acme'): failed unsupported command"));
  REQUIRE(gw.process().wait_for_log("command c-old (sweep.run) acknowledged"));
  REQUIRE(gw.process().wait_for_log(
      "command c-old (sweep.run) on agent 'agent-1' (tenant 'acme'): failed command expired"));
  const auto status = gw.http_get("/status");
  CHECK_THAT(status, Catch::Contains(R"({"id":"c-unsupported","type":"sweep.run","state":"done","success":false,"message":"unsupported command"})"));
  CHECK_THAT(status, Catch::Contains(R"({"id":"c-old","type":"sweep.run","state":"done","success":false,"message":"command expired"})"));
  CHECK(agent->wait_for_log("command c-old (sweep.run): command expired"));
  // The control stream is still up: a store edit still arrives as a push.
  gw.write_store("acme", R"({"sources":{"faker-1":{"type":"faker"}}})");
  CHECK(agent->wait_for_log("applied (pushed): 1 source(s): faker-1"));
  check_clean_exit(*agent);
}

TEST_CASE("SIGTERM stops the agent with status 0", "[agent][control]") {
  GatewayFixture gw(acme_store());
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1");
  REQUIRE(agent->wait_for_log("applied (enrolment)"));
  check_clean_exit(*agent);
  CHECK(agent->log_text().find("stopped") != std::string::npos);
}

TEST_CASE("a refused certificate is reported clearly and retried with growing backoff",
          "[agent][control]") {
  GatewayFixture gw(acme_store());
  auto agent = start_agent(gw.grpc_address(), "test/tenant-mismatch");
  // Four attempts: delays 200, 400, 800, 800 ms (±20 % jitter): never a hot loop.
  const bool four = agent->wait_for_log("reconnecting in", 4);
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(four);
  std::vector<long> delays;
  const std::regex delay("reconnecting in ([0-9]+) ms");
  const auto log = agent->log_text();
  for (auto it = std::sregex_iterator(log.begin(), log.end(), delay); it != std::sregex_iterator(); ++it)
    delays.push_back(std::stol((*it)[1]));
  CHECK(log.find("Hello failed: certificate claims tenant 'globex' but was issued by tenant 'acme' CA") !=
        std::string::npos);
  REQUIRE_FALSE(delays.empty());
  CHECK(delays.front() >= 160);
  CHECK(delays.front() <= 240);
  for (auto d : delays) CHECK(d <= 960);
  check_clean_exit(*agent);
}

TEST_CASE("an agent_id that is not the certificate's is a warning: the certificate is the identity",
          "[agent][control]") {
  ChildProcess agent(std::getenv("SR_AGENT"),
                     {"run", "--gateway-addr", "127.0.0.1:1", "--cert-file", pki("agents/agent-1.pem"),
                      "--key-file", pki("agents/agent-1.key"), "--ca-file", pki("agents/ca.pem"),
                      "--agent-id", "agent-7", "--state-dir", ""});
  const bool started = agent.wait_for_log("starting: agent agent-1 partition default");
  INFO("agent log:\n" << agent.log_text());
  CHECK(started);
  CHECK(agent.log_text().find("agent_id 'agent-7' in flag --agent-id differs from the certificate's 'agent-1'; "
                              "the certificate is the identity") != std::string::npos);
  check_clean_exit(agent);
}

TEST_CASE("check-config prints the identity the gateway will see", "[agent][control]") {
  ChildProcess check(std::getenv("SR_AGENT"),
                     {"check-config", "--gateway-addr", "127.0.0.1:50052", "--cert-dir", pki("agents"),
                      "--cert-file", pki("agents/agent-2.pem"), "--key-file", pki("agents/agent-2.key")});
  auto line = check.wait_for_line("tenant:");
  REQUIRE(line);
  CHECK(*line == "tenant:    globex");
  CHECK(check.wait_exit() == 0);
}

TEST_CASE("after the gateway restarts, the agent reconnects and enrols again",
          "[agent][control]") {
  std::string address;
  std::unique_ptr<ChildProcess> agent;
  {
    GatewayFixture first(acme_store());
    address = first.grpc_address();
    agent = start_agent(address, "agents/agent-1");
    REQUIRE(agent->wait_for_log("applied (enrolment)"));
  }  // the gateway is gone
  const bool noticed = agent->wait_for_log("reconnecting in");
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(noticed);
  auto options = acme_store();
  options.listen = address;
  GatewayFixture second(options);
  REQUIRE(second.process().wait_for_log("Hello from agent 'agent-1'"));
  check_clean_exit(*agent);
}

TEST_CASE("/healthz, /readyz and /metrics follow the agent's state", "[agent][control][http]") {
  std::unique_ptr<ChildProcess> agent;
  std::string http;
  {
    GatewayFixture gw(acme_store());
    agent = start_agent(gw.grpc_address(), "agents/agent-1", {"--metrics-addr", "127.0.0.1:0"});
    REQUIRE(agent->wait_for_log("http endpoint listening on "));
    const auto log = agent->log_text();
    const auto at = log.find("http endpoint listening on ") + 27;
    http = log.substr(at, log.find('\n', at) - at);
    REQUIRE(agent->wait_for_log("applied (enrolment)"));
    CHECK(http_request(http, "/healthz").first == 200);
    CHECK(eventually([&] { return http_request(http, "/readyz").first == 200; }));
    const auto metrics = http_request(http, "/metrics").second;
    CHECK(metrics.find("serviceradar_agent_ready 1") != std::string::npos);
    CHECK(metrics.find(R"(serviceradar_agent_rpc_total{method="Hello",code="0"} 1)") != std::string::npos);
    CHECK(metrics.find(R"(serviceradar_agent_config_info{version="v)") != std::string::npos);
    // The event loop's lag probe has measured at least once (every 250 ms).
    CHECK(eventually([&] {
      const std::string name = "serviceradar_agent_event_loop_lag_max_seconds ";
      const auto m = http_request(http, "/metrics").second;
      const auto at = m.find("\n" + name);
      return at != std::string::npos && std::stod(m.substr(at + 1 + name.size())) > 0;  // a timer is never early
    }));
    // Every handler is timed on its thread; the TLS handshake alone took over a microsecond.
    CHECK(eventually([&] {
      const std::string name = "serviceradar_agent_handler_max_seconds ";
      const auto m = http_request(http, "/metrics").second;
      const auto at = m.find("\n" + name);
      return at != std::string::npos && std::stod(m.substr(at + 1 + name.size())) > 0;
    }));
    CHECK(metrics.find("serviceradar_agent_handler_stalls_total ") != std::string::npos);
  }  // the gateway goes away: the agent is alive but no longer ready
  CHECK(eventually([&] { return http_request(http, "/readyz").first == 503; }));
  CHECK(http_request(http, "/healthz").first == 200);
  CHECK(http_request(http, "/metrics").second.find("serviceradar_agent_reconnects_total 0") ==
        std::string::npos);
  check_clean_exit(*agent);
}

TEST_CASE("SIGHUP picks up a rotated certificate", "[agent][control]") {
  namespace fs = std::filesystem;
  // A private copy of the PKI, so the rotation touches no other test.
  const TempDir temp("sr-rotate");
  const fs::path& dir = temp.path;
  fs::copy(std::getenv("SR_TEST_PKI"), dir / "pki", fs::copy_options::recursive);
  const std::string cert = (dir / "pki" / "agents" / "agent-1").string();
  auto serial_of = [&] {
    auto pem = sr::base::read_file(cert + ".pem");
    REQUIRE(pem);
    return sr::net::tls::read_certificate(*pem)->serial;
  };

  GatewayFixture gw(acme_store());
  auto agent = start_agent(gw.grpc_address(), cert);
  REQUIRE(agent->wait_for_log("applied (enrolment)"));
  const auto old_serial = serial_of();

  // Renew agent-1's certificate with the same tenant CA (the copy keeps its CAs).
  ChildProcess renew(std::getenv("SR_GEN_CERTS"),
                     {(dir / "pki").string(), "--tenants", "acme", "--agent", "acme/default/agent-1"});
  REQUIRE(renew.wait_exit() == 0);
  const auto new_serial = serial_of();
  REQUIRE(new_serial != old_serial);

  ::kill(agent->pid(), SIGHUP);
  CHECK(agent->wait_for_log("SIGHUP: bootstrap and certificate re-read (" + cert + ".pem, serial " +
                            new_serial + ")"));
  CHECK(agent->wait_for_log("enrolled with gateway", 2));
  CHECK(eventually([&] { return gw.http_get("/status").find("\"hellos\":2") != std::string::npos; }));
  check_clean_exit(*agent);
}
