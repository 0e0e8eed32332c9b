// The real serviceradar-agent process as the end-to-end tests start it:
// bootstrap through the environment (as a container sets it), fast backoff
// and polling, the test PKI.
#pragma once

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace sr::test {

inline std::string pki(const std::string& rel) { return std::string(std::getenv("SR_TEST_PKI")) + "/" + rel; }

// `cert`: a certificate in the test PKI ("agents/agent-1") or an absolute
// path without the .pem/.key ending.
inline std::unique_ptr<ChildProcess> start_agent(const std::string& gateway, std::string cert,
                                                 std::vector<std::string> extra = {},
                                                 std::vector<std::string> env = {}) {
  if (cert.front() != '/') cert = pki(cert);
  // A state directory of its own (spool, config cache), removed when the
  // test program ends; a test may pass --state-dir to share one on purpose.
  static const TempDir states("sr-agent-state");
  static int next = 0;
  std::vector<std::string> args{"run", "--backoff-initial", "200ms", "--backoff-max", "800ms",
                                "--min-poll-interval", "200ms", "--grace", "10"};
  args.insert(args.end(), extra.begin(), extra.end());
  env.insert(env.end(), {"SR_GATEWAY_ADDR=" + gateway, "SR_CERT_FILE=" + cert + ".pem",
                         "SR_KEY_FILE=" + cert + ".key", "SR_CA_FILE=" + pki("agents/ca.pem"),
                         "SR_STATE_DIR=" + (states.path / std::to_string(++next)).string()});
  return std::make_unique<ChildProcess>(std::getenv("SR_AGENT"), args, env);
}

// SIGTERM must end the agent with 0; anything else (a crash, a sanitizer
// report) fails the test with the agent's log.
inline void check_clean_exit(ChildProcess& agent) {
  const auto status = agent.terminate();
  INFO("agent log:\n" << agent.log_text());
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}

// The address the agent's HTTP endpoint reported in its log.
inline std::string agent_http_address(ChildProcess& agent) {
  REQUIRE(agent.wait_for_log("http endpoint listening on "));
  const auto log = agent.log_text();
  const auto at = log.find("http endpoint listening on ") + 27;
  return log.substr(at, log.find('\n', at) - at);
}

}  // namespace sr::test
