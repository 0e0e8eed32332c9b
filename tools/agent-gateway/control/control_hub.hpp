// The control hub: what the gateway tells its agents, in one object that the
// gRPC service and the admin API share. It holds the config store's lock
// (an admin edit reads, changes and writes a tenant's file without losing a
// concurrent one), the agents' open ControlStream channels, and pushes:
// new config when a tenant's sources change, commands queued by an operator.
// Nothing here speaks gRPC; service/ carries the channels over the wire.
#pragma once

#include "monitoring.pb.h"
#include "tools/agent-gateway/config/config_store.hpp"
#include "tools/agent-gateway/control/control_channel.hpp"
#include "tools/agent-gateway/gateway_state.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sr::gateway {

// What the hub sends with every config.
struct ConfigIntervals {
  int heartbeat_interval_sec = 30;
  int config_poll_interval_sec = 300;
};

class ControlHub {
 public:
  ControlHub(boost::asio::any_io_executor ex, ConfigStore& store, GatewayState& state,
             ConfigIntervals intervals);

  // The agent's config, read under the store's lock.
  AgentConfig config_for(const AgentKey& key);
  // The GetConfig answer (also what a push carries): not_modified when the
  // agent already has `agent_version`.
  void fill_config(const AgentKey& key, const std::string& agent_version,
                   monitoring::AgentConfigResponse& resp);

  // Rereads the store; marks a config push due on the open control streams
  // of the tenants whose sources changed. Returns those tenants.
  std::vector<std::string> reload_store();
  // Runs `f` on the store under its lock. reload_store() after an edit.
  void with_store(const std::function<void(ConfigStore&)>& f);

  // Queues a command for the agent's open ControlStream (its newest); the
  // agent's ack and result land in the state's command records.
  enum class CommandQueued { yes, no_stream, queue_full };
  CommandQueued send_command(const AgentKey& key, monitoring::CommandRequest command);

  // A ControlStream's channel, registered while the stream is open.
  std::shared_ptr<ControlChannel> open_channel(const AgentKey& key);
  void close_channel(const AgentKey& key, const std::shared_ptr<ControlChannel>& channel);

  // What the agent answered on its ControlStream: config and command acks,
  // command results; recorded in the state and logged.
  void answered(const AgentKey& key, const monitoring::ControlStreamRequest& msg);
  // A config or a command was written to the agent's stream.
  void config_pushed(const AgentKey& key, const std::string& version);
  void command_sent(const AgentKey& key, CommandRecord record);

 private:
  boost::asio::any_io_executor ex_;
  ConfigIntervals intervals_;
  GatewayState& state_;
  std::mutex store_mu_;
  ConfigStore& store_;
  std::mutex channels_mu_;
  std::multimap<AgentKey, std::shared_ptr<ControlChannel>> channels_;
};

}  // namespace sr::gateway
