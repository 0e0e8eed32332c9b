// The real agent's HTTP endpoint (/healthz, /readyz, /metrics) against
// hostile peers: bytes Beast does not bound (a chunk extension or a trailer
// that never ends) must not grow the agent's memory, and running out of
// descriptors must back off, be logged once per episode and end by itself.
// Outcomes are checked (RSS, log lines, answers), never durations.
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/net/http/hostile_client.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace sr::test;

namespace {

// Far past the agent's 16 KiB buffer limit; the agent may grow by 32 MiB at
// most meanwhile (it grew by ~1 GiB per 555 MiB streamed before the limit).
constexpr std::uint64_t kStreamCap = 400 * kMiB;
constexpr long kRssBoundKib = 32 * 1024;

// For an agent whose descriptor table the test fills, the sanitizers lose
// what they need a free descriptor for: UBSan's vptr check probes memory
// through a pipe (tests/ubsan_fd_exhaustion.supp), and TSan can neither
// symbolize a report nor so match tests/tsan.supp, so gRPC's own suppressed
// races show up as ours. That one process runs without those two checks;
// ASan stays whole there, and every other agent keeps all of them.
std::vector<std::string> sanitizer_env_for_full_fd_table() {
  std::vector<std::string> env;
  const auto options = [](const char* name) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) + ":" : std::string();
  };
  if (const char* supp = std::getenv("SR_UBSAN_FD_EXHAUSTION_SUPP"))
    env.push_back("UBSAN_OPTIONS=" + options("UBSAN_OPTIONS") + "suppressions=" + supp);
  if (std::getenv("TSAN_OPTIONS")) env.push_back("TSAN_OPTIONS=" + options("TSAN_OPTIONS") + "report_bugs=0");
  return env;
}

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

void check_bounded(ChildProcess& agent, const std::string& http, const std::string& head) {
  RssWatch rss(std::to_string(agent.pid()));
  const auto out = stream_until_closed(http, head, 'a', kStreamCap, [&] { rss.sample(); });
  rss.sample();
  INFO("sent " << out.sent << " bytes; agent RSS " << rss.baseline << " KiB, grew by "
               << rss.growth_kib() << " KiB");
  CHECK(out.ended_by_server);
  CHECK_FALSE(out.stalled);
  CHECK(rss.growth_kib() < kRssBoundKib);
  CHECK(http_request(http, "/healthz").first == 200);  // it still serves
}

long open_fds(int pid) {
  long n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++n;
  return n;
}

}  // namespace

TEST_CASE("many hostile connections at once: memory bounded, every descriptor given back",
          "[agent][hostile][stress]") {
  GatewayFixture gw;
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {"--metrics-addr", "127.0.0.1:0"});
  const auto http = agent_http_address(*agent);
  REQUIRE(gw.process().wait_for_log("Hello from agent 'agent-1'"));
  REQUIRE(http_request(http, "/healthz").first == 200);
  const long fds_before = open_fds(agent->pid());
  RssWatch rss(std::to_string(agent->pid()));

  // 200 idle connections, three times the endpoint's cap of 64: those past
  // it are closed at once; the rest hold a session each.
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) {
    const int fd = connect_loopback(http);
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  // Meanwhile 16 connections stream never-ending chunk extensions, up to
  // 64 MiB each (1 GiB in all were the agent to read it).
  std::vector<StreamOutcome> outcomes(16);
  std::vector<std::thread> streams;
  for (auto& out : outcomes)
    streams.emplace_back([&out, &http] {
      try {
        out = stream_until_closed(
            http, "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;", 'a',
            64 * kMiB);
      } catch (const std::exception&) {
        out.ended_by_server = true;  // refused at connect: over the cap, closed at once
      }
    });
  for (auto& t : streams) t.join();
  rss.sample();
  for (int fd : idle) ::close(fd);

  std::uint64_t sent = 0;
  for (const auto& out : outcomes) {
    sent += out.sent;
    CHECK(out.ended_by_server);
    CHECK_FALSE(out.stalled);
  }
  INFO("sent " << sent << " bytes on 16 streams; agent RSS " << rss.baseline << " KiB, grew by "
               << rss.growth_kib() << " KiB; fds before " << fds_before);
  std::printf("16 hostile streams + 200 idle connections: %llu bytes sent, agent RSS grew %ld KiB\n",
              static_cast<unsigned long long>(sent), rss.growth_kib());
  CHECK(rss.growth_kib() < kRssBoundKib);
  // Every session ends once it reads the peer's close: the agent holds
  // what it held before.
  CHECK(eventually([&] { return open_fds(agent->pid()) <= fds_before; }));
  CHECK(http_request(http, "/healthz").first == 200);
  check_clean_exit(*agent);
}

TEST_CASE("a chunk extension or trailer that never ends leaves the agent's memory bounded",
          "[agent][hostile]") {
  GatewayFixture gw;
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {"--metrics-addr", "127.0.0.1:0"});
  const auto http = agent_http_address(*agent);
  REQUIRE(http_request(http, "/healthz").first == 200);
  SECTION("chunk extension") {
    check_bounded(*agent, http,
                  "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;");
  }
  SECTION("trailer") {
    check_bounded(*agent, http,
                  "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "1\r\nz\r\n0\r\nX-Trailer: ");
  }
  check_clean_exit(*agent);
}

TEST_CASE("out of descriptors, the agent's accept loop backs off, logs once per episode, recovers",
          "[agent][hostile][fd]") {
  GatewayFixture gw;
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1", {"--metrics-addr", "127.0.0.1:0"},
                           sanitizer_env_for_full_fd_table());
  const auto http = agent_http_address(*agent);
  REQUIRE(gw.process().wait_for_log("Hello from agent 'agent-1'"));  // its gRPC channel is up
  REQUIRE(http_request(http, "/healthz").first == 200);

  // Room for a few sessions, then every accept fails with EMFILE.
  const auto saved_limit = static_cast<unsigned long>(::sysconf(_SC_OPEN_MAX));
  REQUIRE(agent->set_fd_limit(static_cast<unsigned long>(agent->lowest_free_fd()) + 4));
  std::vector<int> held;
  for (int i = 0; i < 16; ++i) {
    const int fd = connect_loopback(http);  // queued by the kernel even when not accepted
    REQUIRE(fd >= 0);
    held.push_back(fd);
  }
  const std::string backoff = "failed: Too many open files; retrying every 50 ms up to 1000 ms";
  const bool backed_off = agent->wait_for_log(backoff);
  for (int fd : held) ::close(fd);
  INFO("agent log:\n" << agent->log_text());
  REQUIRE(backed_off);

  // The connections closed: the queue drains and /healthz answers again.
  REQUIRE(agent->wait_for_log("again after "));
  REQUIRE(agent->set_fd_limit(saved_limit));
  CHECK(eventually([&] {
    try {
      return http_request(http, "/healthz").first == 200;
    } catch (const std::exception&) {
      return false;
    }
  }));
  // One warning per episode, not per failed accept: each ends with one
  // "accepting ... again after N failed accept(s)".
  const auto log = agent->log_text();
  CHECK(count_of(log, backoff) == count_of(log, "again after "));
  // Counted on /metrics too, where an operator's alert sees it.
  const auto [status, metrics] = http_request(http, "/metrics");
  REQUIRE(status == 200);
  INFO(metrics);
  CHECK(metrics.find("serviceradar_agent_http_accept_backoffs_total 0\n") == std::string::npos);
  CHECK(metrics.find("serviceradar_agent_http_accept_backoffs_total ") != std::string::npos);
  check_clean_exit(*agent);
}
