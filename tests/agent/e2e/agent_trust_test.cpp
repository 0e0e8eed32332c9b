// Whom the agent trusts, as a real process: a gateway certificate that a
// tenant CA's key made is refused (tenant CAs are clientAuth-only), and TLS
// files that vanish or are emptied after enrolment end the connection
// attempt with an error naming the file, never a channel without them.
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

using namespace sr::test;
namespace fs = std::filesystem;

namespace {

const char* kGlobexStore =
    R"({"sources":{"lab":{"type":"faker","poll_interval":"1h","total_devices":50}}})";

GatewayFixtureOptions globex_store() {
  GatewayFixtureOptions o;
  o.stores = {{"globex", kGlobexStore}};
  return o;
}

// The reference gateway serving a certificate of the test's choosing (the
// fixture always serves gateway/server.pem), with the same trust for clients.
class GatewayWithCert {
 public:
  GatewayWithCert(const std::string& cert, const std::string& key) {
    fs::create_directories(dir_.path / "config");
    std::ofstream(dir_.path / "config" / "globex.json") << kGlobexStore;
    process_ = std::make_unique<ChildProcess>(
        std::getenv("SR_AGENT_GATEWAY"),
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--cert", cert,
                                 "--key", key, "--ca-dir", pki("ca"), "--config-dir",
                                 (dir_.path / "config").string(), "--data-dir", (dir_.path / "data").string()});
    auto ready = process_->wait_for_line("agent-gateway ready");
    if (!ready) fail_hard("agent-gateway did not become ready; its log:\n" + process_->log_text());
    address_ = field_of(*ready, "grpc");
  }
  ~GatewayWithCert() { process_->terminate(); }
  const std::string& address() const { return address_; }
  ChildProcess& process() { return *process_; }

 private:
  TempDir dir_{"sr-trust-gateway"};
  std::unique_ptr<ChildProcess> process_;
  std::string address_;
};

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A copy of a test PKI agent certificate the test may take away: <dir>/<id>.pem/.key.
std::string copy_agent_cert(const TempDir& dir, const std::string& id) {
  for (const char* ext : {".pem", ".key"})
    fs::copy_file(pki("agents/" + id + ext), dir.path / (id + ext));
  return (dir.path / id).string();
}

}  // namespace

TEST_CASE("a gateway certificate made with a tenant CA's key is refused", "[agent][trust]") {
  // What the holder of tenant acme's CA key can make: agent-gateway,
  // localhost and 127.0.0.1, chaining to the root every agent trusts.
  GatewayWithCert impostor(pki("test/impostor-gateway.pem"), pki("test/impostor-gateway.key"));
  auto agent = start_agent(impostor.address(), "agents/agent-2");  // a globex agent
  // Two failed handshakes: refused every time, not once by chance.
  // The agent's own line (gRPC logs the handshake error too), so two attempts.
  const bool refused = agent->wait_for_log("certificate verify failed (14); reconnecting in", 2);
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(refused);
  CHECK_THAT(agent->log_text(), Catch::Contains("Hello failed"));
  CHECK(agent->log_text().find("enrolled with gateway") == std::string::npos);
  CHECK(agent->log_text().find("applied (enrolment)") == std::string::npos);
  CHECK(impostor.process().log_text().find("Hello from") == std::string::npos);
  check_clean_exit(*agent);

  // The same agent, the same trust, the real gateway certificate: enrolled.
  GatewayFixture real(globex_store());
  auto again = start_agent(real.grpc_address(), "agents/agent-2");
  CHECK(again->wait_for_log("applied (enrolment)"));
  CHECK(real.process().wait_for_log("Hello from agent 'agent-2'"));
  check_clean_exit(*again);
}

TEST_CASE("a key file gone after enrolment ends each attempt naming it; back, the agent enrols",
          "[agent][trust]") {
  TempDir certs("sr-trust-certs");
  const auto cert = copy_agent_cert(certs, "agent-2");
  const fs::path key = cert + ".key", away = cert + ".key.away";
  std::string address;
  std::unique_ptr<ChildProcess> agent;
  {
    GatewayFixture first(globex_store());
    address = first.grpc_address();
    agent = start_agent(address, cert, {"--metrics-addr", "127.0.0.1:0"});
    REQUIRE(agent->wait_for_log("applied (enrolment)"));
    fs::rename(key, away);
  }  // the gateway is gone: the agent must reconnect, with the files it has now
  auto options = globex_store();
  options.listen = address;
  GatewayFixture second(options);
  const bool named =
      agent->wait_for_log(key.string() + ": cannot open (No such file or directory) (the private key); reconnecting in", 2);
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(named);
  CHECK_THAT(agent->log_text(), Catch::Contains("TLS material unusable: "));
  // No connection without a client certificate reached the gateway.
  CHECK(second.process().log_text().find("Hello from") == std::string::npos);
  CHECK(second.process().log_text().find("no client certificate") == std::string::npos);
  const auto metrics = http_request(agent_http_address(*agent), "/metrics").second;
  CHECK(metrics.find("serviceradar_agent_tls_material_errors_total 0") == std::string::npos);
  CHECK(metrics.find("serviceradar_agent_tls_material_errors_total ") != std::string::npos);
  // Back in place: the next attempt of the backoff loop enrols.
  fs::rename(away, key);
  CHECK(second.process().wait_for_log("Hello from agent 'agent-2'"));
  check_clean_exit(*agent);
}

TEST_CASE("an emptied CA file ends each attempt naming it, never falls back to public roots",
          "[agent][trust]") {
  TempDir dir("sr-trust-ca");
  const fs::path ca = dir.path / "ca.pem";
  fs::copy_file(pki("agents/ca.pem"), ca);
  std::string address;
  std::unique_ptr<ChildProcess> agent;
  {
    GatewayFixture first(globex_store());
    address = first.grpc_address();
    agent = start_agent(address, "agents/agent-2", {"--ca-file", ca.string()});
    REQUIRE(agent->wait_for_log("applied (enrolment)"));
    std::ofstream(ca, std::ios::trunc);  // as a botched rotation leaves it
  }
  auto options = globex_store();
  options.listen = address;
  GatewayFixture second(options);
  const bool named = agent->wait_for_log(ca.string() + ": is empty (the CA of the gateway); reconnecting in", 2);
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(named);
  CHECK(second.process().log_text().find("Hello from") == std::string::npos);
  check_clean_exit(*agent);
}

TEST_CASE("gateway_issuer_file stops an impostor that an unrestricted tenant CA made", "[agent][trust]") {
  // A PKI from before tenant CAs were clientAuth-only: its impostor chains
  // to the root and names the gateway, so name checks alone accept it.
  GatewayWithCert impostor(pki("test/legacy-impostor-gateway.pem"), pki("test/legacy-impostor-gateway.key"));
  {
    auto exposed = start_agent(impostor.address(), "agents/agent-2");
    CHECK(impostor.process().wait_for_log("Hello from agent 'agent-2'"));  // the threat, shown
    check_clean_exit(*exposed);
  }
  const auto hellos_before = count_of(impostor.process().log_text(), "Hello from");
  // Pinned to the root, which signs the real gateway's certificate directly.
  const std::vector<std::string> pin{"--gateway-issuer-file", pki("ca/root.pem")};
  auto pinned = start_agent(impostor.address(), "agents/agent-2", pin);
  const bool refused =
      pinned->wait_for_log("the gateway's certificate is not signed by a CA in gateway_issuer_file " + pki("ca/root.pem") +
                           " (14); reconnecting in", 2);
  INFO("agent log:\n" << pinned->log_text());
  REQUIRE(refused);
  CHECK(pinned->log_text().find("enrolled with gateway") == std::string::npos);
  CHECK(count_of(impostor.process().log_text(), "Hello from") == hellos_before);
  check_clean_exit(*pinned);

  GatewayFixture real(globex_store());
  auto ok = start_agent(real.grpc_address(), "agents/agent-2", pin);
  CHECK(ok->wait_for_log("applied (enrolment)"));
  check_clean_exit(*ok);
  // The pin replaces gRPC's default verifier: the name is still checked.
  auto misnamed = start_agent(real.grpc_address(), "agents/agent-2", pin, {"SR_SERVER_NAME=not-the-gateway.example"});
  CHECK(misnamed->wait_for_log("Hostname Verification Check failed. (14); reconnecting in", 2));
  CHECK(misnamed->log_text().find("enrolled with gateway") == std::string::npos);
  check_clean_exit(*misnamed);
}

TEST_CASE("gateway_issuer_file that cannot be used is an error naming it", "[agent][trust]") {
  ChildProcess check(std::getenv("SR_AGENT"),
                     {"check-config", "--gateway-addr", "127.0.0.1:50052", "--cert-file", pki("agents/agent-2.pem"),
                      "--key-file", pki("agents/agent-2.key"), "--ca-file", pki("agents/ca.pem"),
                      "--gateway-issuer-file", pki("agents/agent-2.key")});
  CHECK(check.wait_exit() == 1);
  std::string out;
  while (auto line = check.wait_for_line("")) out += *line + "\n";
  CHECK_THAT(out, Catch::Contains(pki("agents/agent-2.key") + ": no PEM certificate in it (gateway_issuer_file)"));
}

namespace {

// A line of /proc/PID/limits, e.g. "Max core file size  0  0  bytes".
std::string limits_line(int pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name, 0) == 0) return line;
  return {};
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Runs `start` with the soft open-file limit lowered (children inherit it).
template <class Start>
auto with_soft_nofile(rlim_t soft, Start start) {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  rlimit low = saved;
  low.rlim_cur = std::min(soft, saved.rlim_max);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  auto started = start();
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  return started;
}

}  // namespace

TEST_CASE("the agent turns core dumps off and raises its open-file limit at start", "[agent][process]") {
  GatewayFixture gw(globex_store());
  auto agent = with_soft_nofile(256, [&] { return start_agent(gw.grpc_address(), "agents/agent-2"); });
  REQUIRE(agent->wait_for_log("applied (enrolment)"));
  CHECK_THAT(agent->log_text(), Catch::Contains("core dumps disabled"));
  const auto core = words(limits_line(agent->pid(), "Max core file size"));
  REQUIRE(core.size() >= 6);
  CHECK(core[4] == "0");  // soft
  CHECK(core[5] == "0");  // hard: nothing in the process can turn them back on
  const auto files = words(limits_line(agent->pid(), "Max open files"));
  REQUIRE(files.size() >= 5);
  CHECK(files[3] == files[4]);  // soft raised to hard
  CHECK_THAT(agent->log_text(), Catch::Contains("open file limit raised from 256 to " + files[4]));
  check_clean_exit(*agent);

  // The documented opt-out for debugging keeps the limits it was given, warned.
  auto debug = start_agent(gw.grpc_address(), "agents/agent-2", {}, {"SR_ALLOW_CORE_DUMPS=1"});
  REQUIRE(debug->wait_for_log("applied (enrolment)"));
  CHECK_THAT(debug->log_text(), Catch::Contains("SR_ALLOW_CORE_DUMPS is set"));
  CHECK(debug->log_text().find("core dumps disabled") == std::string::npos);
  CHECK(words(limits_line(debug->pid(), "Max core file size")) ==
        words(limits_line(::getpid(), "Max core file size")));
  check_clean_exit(*debug);
}

TEST_CASE("a SIGHUP that turns allow_insecure on logs the plaintext warning", "[agent][trust]") {
  GatewayFixture gw(globex_store());
  TempDir dir("sr-trust-hup");
  const auto file = (dir.path / "agent.json").string();
  std::ofstream(file) << "{}";
  auto agent = start_agent(gw.grpc_address(), "agents/agent-2", {"--config", file});
  REQUIRE(agent->wait_for_log("applied (enrolment)"));
  CHECK(agent->log_text().find("PLAINTEXT") == std::string::npos);
  std::ofstream(file, std::ios::trunc) << R"({"allow_insecure": true})";
  REQUIRE(::kill(agent->pid(), SIGHUP) == 0);
  CHECK(agent->wait_for_log("SIGHUP: allow_insecure is set: gRPC to the gateway is PLAINTEXT, without identity"));
  // The control plane says when the transport actually changes.
  CHECK(agent->wait_for_log("allow_insecure turned on by a reload: the next connection to the gateway is PLAINTEXT"));
  CHECK(agent->wait_for_log("reconnecting in"));  // plaintext against a TLS gateway gets nowhere
  check_clean_exit(*agent);
}
