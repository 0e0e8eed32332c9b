#include "tools/agent-gateway/gateway_state.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace sr::gateway {

namespace json = boost::json;

void GatewayState::record_command(const AgentKey& key, CommandRecord command) {
  std::lock_guard lock(mu_);
  auto& commands = agents_[key].commands;
  for (auto& c : commands) {
    if (c.id == command.id) {
      c = std::move(command);
      return;
    }
  }
  commands.push_back(std::move(command));
  if (commands.size() > kRecentCommands) commands.pop_front();
}

void GatewayState::stream_accepted(const std::string& tenant, std::uint64_t devices) {
  std::lock_guard lock(mu_);
  auto& s = streams_[tenant];
  ++s.accepted;
  s.devices += devices;
}

void GatewayState::stream_rejected(const std::string& tenant, const std::string& code,
                                   const std::string& why) {
  std::lock_guard lock(mu_);
  auto& s = streams_[tenant];
  ++s.rejected;
  ++s.rejected_by_code[code];
  s.recent_rejections.push_back(code + ": " + why);
  if (s.recent_rejections.size() > kRecentRejections) s.recent_rejections.pop_front();
}

void GatewayState::chunk_received(const std::string& tenant) {
  std::lock_guard lock(mu_);
  ++streams_[tenant].chunks;
}

namespace {

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::array commands_json(const std::deque<CommandRecord>& commands) {
  json::array a;
  for (const auto& c : commands)
    a.push_back(json::object{{"id", c.id}, {"type", c.type}, {"state", c.state},
                             {"success", c.success}, {"message", c.message}});
  return a;
}

json::object agent_json(const AgentKey& key, const AgentRecord& r, std::int64_t now) {
  return {{"agent_id", key.agent_id},
          {"partition", r.partition},
          {"state", now - r.last_seen <= GatewayState::kOnlineWindow ? "online" : "offline"},
          {"last_seen", r.last_seen},
          {"version", r.version},
          {"hostname", r.hostname},
          {"os", r.os},
          {"arch", r.arch},
          {"capabilities", strings(r.capabilities)},
          {"config_sent", r.config_sent},
          {"config_acked", r.config_acked},
          {"control_stream_open", r.control_stream_open},
          {"hellos", r.hellos},
          {"pushes", r.pushes},
          {"commands", commands_json(r.commands)}};
}

json::object streams_json(const TenantStreams& s) {
  json::object by_code;
  for (const auto& [code, n] : s.rejected_by_code) by_code[code] = n;
  json::array recent;
  for (const auto& r : s.recent_rejections) recent.emplace_back(r);
  return {{"accepted", s.accepted},         {"rejected", s.rejected},
          {"chunks", s.chunks},             {"devices", s.devices},
          {"rejected_by_code", by_code},    {"recent_rejections", recent}};
}

}  // namespace

std::string GatewayState::status_json(std::int64_t now) const {
  std::lock_guard lock(mu_);
  json::object tenants;
  auto tenant = [&](const std::string& slug) -> json::object& {
    auto& t = tenants[slug];
    if (!t.is_object()) t = json::object{{"agents", json::array()}, {"streams", streams_json({})}};
    return t.as_object();
  };
  for (const auto& [key, record] : agents_)
    tenant(key.tenant)["agents"].as_array().push_back(agent_json(key, record, now));
  for (const auto& [slug, s] : streams_) tenant(slug)["streams"] = streams_json(s);
  return json::serialize(json::object{{"server_time", now}, {"tenants", tenants}});
}

}  // namespace sr::gateway
