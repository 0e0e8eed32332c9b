#include "tools/agent-gateway/gateway_state.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>

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

void GatewayState::stream_ended(const AgentKey& key, StreamRecord record) {
  std::lock_guard lock(mu_);
  agents_[key].last_stream = std::move(record);
}

std::size_t GatewayState::sources_reported(const AgentKey& agent, std::vector<SourceReport> reports) {
  const std::size_t dropped = reports.size() > kMaxSourcesPerAgent ? reports.size() - kMaxSourcesPerAgent : 0;
  reports.resize(std::min(reports.size(), kMaxSourcesPerAgent));
  std::set<std::string> named;
  for (auto& r : reports) {
    r.agent_id = agent.agent_id;  // pruning below relies on it
    named.insert(r.name);
  }
  std::lock_guard lock(mu_);
  auto& sources = sources_[agent.tenant];
  // What this agent reported before and names no more is gone from it.
  std::erase_if(sources, [&](const auto& entry) {
    return entry.second.last.agent_id == agent.agent_id && !named.count(entry.first);
  });
  for (auto& report : reports) {
    auto& record = sources[report.name];
    const bool finished = report.result != "running" && report.result != "pending";
    if (finished && !report.last_run.empty() &&
        (record.runs.empty() || record.runs.back().at != report.last_run)) {
      record.runs.push_back({report.last_run, report.devices, report.result});
      if (record.runs.size() > kRecentRuns) record.runs.pop_front();
    }
    record.last = std::move(report);
  }
  agents_[agent].sources_dropped += dropped;
  return dropped;
}

std::map<AgentKey, AgentRecord> GatewayState::agents_of(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  std::map<AgentKey, AgentRecord> out;
  for (auto it = agents_.lower_bound({tenant, ""}); it != agents_.end() && it->first.tenant == tenant; ++it)
    out.insert(*it);
  return out;
}

std::map<std::string, SourceRecord> GatewayState::sources_of(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  auto it = sources_.find(tenant);
  return it == sources_.end() ? std::map<std::string, SourceRecord>{} : it->second;
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

json::value stream_json(const StreamRecord& s) {
  if (s.at == 0) return nullptr;
  return json::object{{"at", s.at}, {"result", s.result}, {"chunks", s.chunks}, {"devices", s.devices}};
}

json::object source_json(const SourceRecord& s) {
  const auto& r = s.last;
  json::array runs;
  for (const auto& p : s.runs)
    runs.push_back(json::object{{"at", p.at}, {"devices", p.devices}, {"result", p.result}});
  return {{"agent_id", r.agent_id},       {"type", r.type},
          {"last_run", r.last_run},       {"result", r.result},
          {"devices", r.devices},         {"error", r.error},
          {"stage", r.stage},             {"retries", r.retries},
          {"runs_sent", r.runs_sent},     {"send_failures", r.send_failures},
          {"send_error", r.send_error},   {"reported_at", r.reported_at},
          {"runs", std::move(runs)}};
}

json::object agent_json(const AgentKey& key, const AgentRecord& r, std::int64_t now) {
  return {{"agent_id", key.agent_id},
          {"partition", r.partition},
          {"state", GatewayState::online(r, now) ? "online" : "offline"},
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
          {"commands", commands_json(r.commands)},
          {"last_stream", stream_json(r.last_stream)},
          {"sources_dropped", r.sources_dropped}};
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

struct GatewayState::Snapshot {
  std::map<AgentKey, AgentRecord> agents;
  std::map<std::string, TenantStreams> streams;
  std::map<std::string, std::map<std::string, SourceRecord>> sources;
};

GatewayState::Snapshot GatewayState::snapshot() const {
  std::lock_guard lock(mu_);
  return {agents_, streams_, sources_};
}

std::string GatewayState::status_json(std::int64_t now) const {
  const auto snap = snapshot();  // the JSON is built without the lock
  json::object tenants;
  auto tenant = [&](const std::string& slug) -> json::object& {
    auto& t = tenants[slug];
    if (!t.is_object())
      t = json::object{{"agents", json::array()}, {"streams", streams_json({})}, {"sources", json::object()}};
    return t.as_object();
  };
  for (const auto& [key, record] : snap.agents)
    tenant(key.tenant)["agents"].as_array().push_back(agent_json(key, record, now));
  for (const auto& [slug, s] : snap.streams) tenant(slug)["streams"] = streams_json(s);
  for (const auto& [slug, sources] : snap.sources) {
    auto& out = tenant(slug)["sources"].as_object();
    for (const auto& [name, record] : sources) out[name] = source_json(record);
  }
  const json::object calls{{"started", calls_.started.load()},
                           {"active", calls_.active.load()},
                           {"refused_gateway_cap", calls_.refused_gateway.load()},
                           {"refused_agent_cap", calls_.refused_agent.load()},
                           {"hello_timeouts", calls_.hello_timeouts.load()}};
  return json::serialize(json::object{{"server_time", now}, {"tenants", tenants}, {"calls", calls}});
}

}  // namespace sr::gateway
