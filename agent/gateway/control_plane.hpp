// The agent's life with the gateway: connect (mTLS), Hello, GetConfig when
// outdated, then three loops on one strand until one fails: poll GetConfig,
// heartbeat PushStatus, and the ControlStream (pushed configs, answered with
// ConfigAck; commands answered as unsupported or expired). Any failure drops
// the channel and reconnects with exponential backoff and jitter. Configs go
// to the ConfigApplier; messages are built by MessageIdentity.
#pragma once

#include "agent/bootstrap/bootstrap_config.hpp"
#include "agent/config/config_applier.hpp"
#include "agent/gateway/agent_identity.hpp"
#include "monitoring.grpc.pb.h"

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

namespace sr::agent {

// How the control plane reaches the rest of the agent; every hook may be empty.
struct ControlHooks {
  // A session started (stub, gateway id) or ended (nullptr, "").
  std::function<void(std::shared_ptr<monitoring::AgentGatewayService::Stub>, const std::string&)> session;
  // The heartbeat's per-source state: {"sources":{...}}.
  std::function<std::string()> status_json;
};

// The reconnect delays (--backoff-initial, --backoff-max): doubling, ±20 % of jitter.
struct ReconnectBackoff {
  std::chrono::milliseconds initial{5000}, max{60000};
};

class ControlPlane {
 public:
  // `messages` and `configs` outlive the control plane.
  ControlPlane(boost::asio::any_io_executor ex, BootstrapConfig config, const MessageIdentity& messages,
               ConfigApplier& configs, ReconnectBackoff backoff = {}, ControlHooks hooks = {});
  ~ControlPlane();

  // Runs until cancelled (through the awaiting coroutine's cancellation slot).
  boost::asio::awaitable<void> run();

  // From any thread: the next session uses `config` (a rotated certificate,
  // a new gateway address); the current one ends now.
  void reconfigure(BootstrapConfig config);

  // For /readyz: enrolled now and a config applied.
  bool ready() const noexcept { return enrolled_ && configs_.applied(); }
  std::string config_version() const { return configs_.version(); }
  std::uint64_t reconnects() const noexcept { return reconnects_; }
  // Prometheus text exposition of the control plane's state and RPC counts.
  std::string metrics_text() const;

 private:
  struct Session;
  boost::asio::awaitable<std::string> session();  // returns why it ended
  void count_rpc(const char* method, const grpc::Status& status);

  boost::asio::any_io_executor ex_;
  BootstrapConfig config_;               // on ex_ only
  boost::asio::steady_timer restart_;    // cancelled by reconfigure()
  const MessageIdentity& messages_;
  ConfigApplier& configs_;
  ReconnectBackoff backoff_;
  ControlHooks hooks_;
  std::atomic<bool> enrolled_{false};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> tls_material_errors_{0};  // sessions not started: unusable TLS files
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::uint64_t> rpcs_;  // (method, code) -> count
};

}  // namespace sr::agent
