#include "tools/agent-gateway/control/control_hub.hpp"

#include "base/log/logger.hpp"
#include "base/clock.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace sr::gateway {

ControlHub::ControlHub(boost::asio::any_io_executor ex, ConfigStore& store, GatewayState& state,
                       ConfigIntervals intervals)
    : ex_(std::move(ex)), intervals_(intervals), state_(state), store_(store) {}

AgentConfig ControlHub::config_for(const AgentKey& key) {
  std::lock_guard lock(store_mu_);
  return store_.config_for(key.tenant, key.agent_id);
}

void ControlHub::fill_config(const AgentKey& key, const std::string& agent_version,
                             monitoring::AgentConfigResponse& resp) {
  auto config = config_for(key);
  resp.set_config_version(config.config_version);
  resp.set_heartbeat_interval_sec(intervals_.heartbeat_interval_sec);
  resp.set_config_poll_interval_sec(intervals_.config_poll_interval_sec);
  resp.set_config_timestamp(config.config_timestamp);
  if (!agent_version.empty() && agent_version == config.config_version) {
    resp.set_not_modified(true);
    return;
  }
  resp.set_config_json(std::move(config.config_json));
}

std::vector<std::string> ControlHub::reload_store() {
  std::vector<std::string> changed;
  {
    std::lock_guard lock(store_mu_);
    changed = store_.reload();
  }
  if (changed.empty()) return changed;
  std::lock_guard lock(channels_mu_);
  for (const auto& [key, channel] : channels_) {
    if (std::find(changed.begin(), changed.end(), key.tenant) != changed.end())
      channel->config_due();
  }
  return changed;
}

void ControlHub::with_store(const std::function<void(ConfigStore&)>& f) {
  std::lock_guard lock(store_mu_);
  f(store_);
}

ControlHub::CommandQueued ControlHub::send_command(const AgentKey& key, monitoring::CommandRequest command) {
  std::lock_guard lock(channels_mu_);
  auto [first, last] = channels_.equal_range(key);
  if (first == last) return CommandQueued::no_stream;
  // The newest stream of this agent: an older one is about to end.
  auto& channel = std::prev(last)->second;
  // Recorded before queueing: the push loop may send it (and record "sent") at once.
  CommandRecord record{command.command_id(), command.command_type(), "queued", false, ""};
  state_.record_command(key, record);
  if (!channel->queue_command(std::move(command))) {
    record.state = "refused";
    record.message = "too many commands queued";
    state_.record_command(key, std::move(record));
    return CommandQueued::queue_full;
  }
  return CommandQueued::yes;
}

std::shared_ptr<ControlChannel> ControlHub::open_channel(const AgentKey& key) {
  auto channel = std::make_shared<ControlChannel>(ex_);
  std::lock_guard lock(channels_mu_);
  channels_.emplace(key, channel);
  return channel;
}

void ControlHub::close_channel(const AgentKey& key, const std::shared_ptr<ControlChannel>& channel) {
  std::lock_guard lock(channels_mu_);
  auto [first, last] = channels_.equal_range(key);
  for (auto it = first; it != last; ++it) {
    if (it->second == channel) {
      channels_.erase(it);
      return;
    }
  }
}

void ControlHub::answered(const AgentKey& key, const monitoring::ControlStreamRequest& msg) {
  if (msg.has_config_ack()) {
    const auto& acked = msg.config_ack().config_version();
    state_.update_agent(key, [&](AgentRecord& r) {
      r.config_acked = acked;
      r.last_seen = base::unix_now();
    });
    log::info({}, fmt::format("config {} acknowledged by agent '{}' (tenant '{}')", acked, key.agent_id,
                              key.tenant));
  } else if (msg.has_command_ack()) {
    const auto& ack = msg.command_ack();
    state_.record_command(key, {ack.command_id(), ack.command_type(), "acked", false, ""});
    log::info({}, fmt::format("command {} ({}) acknowledged by agent '{}' (tenant '{}')", ack.command_id(),
                              ack.command_type(), key.agent_id, key.tenant));
  } else if (msg.has_command_result()) {
    const auto& r = msg.command_result();
    state_.record_command(key, {r.command_id(), r.command_type(), "done", r.success(), r.message()});
    log::info({}, fmt::format("command {} ({}) on agent '{}' (tenant '{}'): {} {}", r.command_id(),
                              r.command_type(), key.agent_id, key.tenant,
                              r.success() ? "succeeded" : "failed", r.message()));
  }
}

void ControlHub::config_pushed(const AgentKey& key, const std::string& version) {
  state_.update_agent(key, [&](AgentRecord& r) { r.config_sent = version; });
  log::info({}, fmt::format("config {} pushed to agent '{}' (tenant '{}')", version, key.agent_id, key.tenant));
}

void ControlHub::command_sent(const AgentKey& key, CommandRecord record) {
  log::info({}, fmt::format("command {} ({}) sent to agent '{}' (tenant '{}')", record.id, record.type,
                            key.agent_id, key.tenant));
  state_.record_command(key, std::move(record));
}

}  // namespace sr::gateway
