// The agent's life with the gateway: connect (mTLS), Hello, GetConfig when
// outdated, then three loops on one strand until one fails: poll GetConfig,
// heartbeat PushStatus, and the ControlStream (pushed configs, answered with
// ConfigAck; commands answered as unsupported or expired). Any failure drops
// the channel and reconnects with exponential backoff and jitter.
#pragma once

#include "agent/bootstrap/bootstrap_config.hpp"
#include "monitoring.grpc.pb.h"
#include "sync/config/source_config.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <grpcpp/support/status.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

namespace sr::agent {

struct AgentIdentity {
  std::string agent_id, partition, tenant;
};

// A config the gateway sent (GetConfig or pushed); not_modified answers are
// not reported.
struct AppliedConfig {
  std::string version;
  std::string config_json;
  std::vector<std::string> source_names;  // for logs: never the credentials
};

// How the control plane reaches the rest of the agent (the sync runtime and
// its sender); every hook may be empty.
struct ControlHooks {
  // A new config from the gateway (GetConfig or pushed), sources parsed.
  std::function<void(const std::string& version, const sync::SourcesConfig& sources)> apply_config;
  // A session started (stub, gateway id) or ended (nullptr, "").
  std::function<void(std::shared_ptr<monitoring::AgentGatewayService::Stub>, const std::string&)> session;
  // After a config was applied: its version and text (for the config cache).
  std::function<void(const std::string& version, const std::string& config_json)> config_applied;
  // The heartbeat's per-source state: {"sources":{...}}.
  std::function<std::string()> status_json;
};

struct Backoff {
  std::chrono::milliseconds initial{5000}, max{60000};
};

class ControlPlane {
 public:
  ControlPlane(boost::asio::any_io_executor ex, BootstrapConfig config, AgentIdentity identity,
               Backoff backoff = {}, ControlHooks hooks = {});
  ~ControlPlane();

  // Runs until cancelled (through the awaiting coroutine's cancellation slot).
  boost::asio::awaitable<void> run();

  // From any thread: the next session uses `config` (a rotated certificate,
  // a new gateway address); the current one ends now.
  void reconfigure(BootstrapConfig config);

  // Before run(): a config from the cache is running; Hello reports its
  // version, so the gateway sends a config only when it has a newer one.
  void adopt_cached(const std::string& version);

  // For /readyz: enrolled now and a config applied.
  bool ready() const noexcept { return enrolled_ && applied_; }
  std::string config_version() const;
  std::uint64_t reconnects() const noexcept { return reconnects_; }
  // Prometheus text exposition of the control plane's state and RPC counts.
  std::string metrics_text() const;

 private:
  struct Session;
  boost::asio::awaitable<std::string> session();  // returns why it ended
  void apply(const std::string& version, const std::string& config_json, const char* how);
  void count_rpc(const char* method, const grpc::Status& status);

  boost::asio::any_io_executor ex_;
  BootstrapConfig config_;               // on ex_ only
  const bool sync_enabled_;              // from the first config: a SIGHUP does not change it
  boost::asio::steady_timer restart_;    // cancelled by reconfigure()
  AgentIdentity identity_;
  Backoff backoff_;
  ControlHooks hooks_;
  std::atomic<bool> enrolled_{false}, applied_{false};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> tls_material_errors_{0};  // sessions not started: unusable TLS files
  mutable std::mutex mu_;
  std::string version_;  // last applied
  std::map<std::pair<std::string, int>, std::uint64_t> rpcs_;  // (method, code) -> count
};

// What Hello, heartbeats and chunks say about the host.
struct PlatformFacts {
  std::string hostname, os, arch;
};
PlatformFacts platform_facts();

// Reads the agent's own certificate: its identity. Without a certificate
// (allow_insecure) the bootstrap's agent_id and partition are the identity.
net::Expected<AgentIdentity> identity_from_certificate(const BootstrapConfig& config);

// The certificate is the identity: an agent_id or partition in the bootstrap
// that says otherwise is a warning (naming where it was set), never a refusal.
std::vector<std::string> identity_warnings(const Bootstrap& boot, const AgentIdentity& id);

// What Hello and the ControlStream hello advertise: "sync" only when the
// sync runtime is enabled, so the platform assigns sources only to agents
// that run them.
std::vector<std::string> hello_capabilities(bool sync_enabled);

// The sync service's heartbeat message: `status_json` ({"sources":{...}})
// with the config version first, and "sync_runtime_enabled":false when off.
std::string heartbeat_message(const std::string& config_version, bool sync_enabled,
                              const std::string& status_json);

}  // namespace sr::agent
