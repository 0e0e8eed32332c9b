// Who the agent is to the gateway: its identity (from its certificate, or the
// bootstrap when allow_insecure runs without one), the host facts, and
// MessageIdentity, the one builder of the identity fields every message to the
// gateway repeats (Hello, GetConfig, heartbeats, the ControlStream hello and
// every StreamStatus chunk).
#pragma once

#include "agent/bootstrap/bootstrap_config.hpp"
#include "base/expected.hpp"
#include "monitoring.pb.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sr::agent {

struct AgentIdentity {
  std::string agent_id, partition, tenant;
};

// What Hello, heartbeats and chunks say about the host.
struct PlatformFacts {
  std::string hostname, os, arch;
};
PlatformFacts platform_facts();

// Reads the agent's own certificate: its identity. Without a certificate
// (allow_insecure) the bootstrap's agent_id and partition are the identity.
base::Expected<AgentIdentity> identity_from_certificate(const BootstrapConfig& config);

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

// The messages to the gateway with this agent's identity, version and host
// facts filled in; each caller adds only what is its own.
class MessageIdentity {
 public:
  MessageIdentity(AgentIdentity id, std::string version, PlatformFacts facts, bool sync_enabled);

  monitoring::AgentHelloRequest hello(const std::string& config_version) const;
  monitoring::AgentConfigRequest config_request(const std::string& config_version) const;
  // A heartbeat: the sync service's status with `message` (heartbeat_message).
  monitoring::GatewayStatusRequest heartbeat(std::string message) const;
  monitoring::ControlStreamRequest stream_hello(const std::string& config_version) const;
  // Chunk `index` of `total` of one run, carrying `message` (the chunk's JSON).
  monitoring::GatewayStatusChunk chunk(const std::string& gateway_id, std::string message, std::int32_t index,
                                       std::int32_t total) const;

  const AgentIdentity& identity() const noexcept { return id_; }
  bool sync_enabled() const noexcept { return sync_enabled_; }

 private:
  void service(monitoring::GatewayServiceStatus& s, const char* source, const std::string& partition,
               std::string message) const;

  AgentIdentity id_;
  std::string version_;
  PlatformFacts facts_;
  bool sync_enabled_;
};

}  // namespace sr::agent
