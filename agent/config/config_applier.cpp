#include "agent/config/config_applier.hpp"

#include "base/log/logger.hpp"

#include <fmt/format.h>

namespace sr::agent {

const char* origin_name(ConfigOrigin origin) {
  switch (origin) {
    case ConfigOrigin::enrolment: return "enrolment";
    case ConfigOrigin::poll: return "poll";
    case ConfigOrigin::pushed: return "pushed";
    case ConfigOrigin::cached: return "cached";
  }
  return "?";
}

ConfigApplier::ConfigApplier(bool sync_enabled, ConfigSinks sinks)
    : sync_enabled_(sync_enabled), sinks_(std::move(sinks)) {}

std::string ConfigApplier::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

void ConfigApplier::record(const std::string& version, bool from_gateway) {
  {
    std::lock_guard lock(mu_);
    version_ = version;
  }
  if (from_gateway) applied_ = true;
}

void ConfigApplier::run(const std::string& version, const sync::SourcesConfig& sources) {
  if (sync_enabled_) {
    if (sinks_.run_sources) sinks_.run_sources(sources);
    return;
  }
  if (version == reported_) return;
  reported_ = version;
  log::info("sync", fmt::format("config {}: sync_runtime_enabled is false: {} source(s) not run", version,
                                sources.sources.size()));
}

void ConfigApplier::apply_config(const std::string& version, const std::string& config_json,
                                 ConfigOrigin origin) {
  const char* how = origin_name(origin);
  if (origin == ConfigOrigin::cached) {
    auto sources = sync::parse_sources(config_json);
    log::info("control", fmt::format("{} the cached config {} ({} source(s)) until the gateway answers",
                                     sync_enabled_ ? "running" : "taking", version, sources.sources.size()));
    record(version, false);
    return run(version, sources);
  }
  // Versions are content hashes: the push that opens every ControlStream
  // repeats what GetConfig just delivered, and restarting on it would be noise.
  if (applied_ && this->version() == version) {
    log::debug("control", fmt::format("config {} ({}) is the one running", version, how));
    return;
  }
  auto sources = sync::parse_sources(config_json);
  if (!sources.fatal.empty()) {
    log::error("control", fmt::format("config {} ({}) refused: {}", version, how, sources.fatal));
    return;
  }
  record(version, true);
  std::string list;
  for (const auto& s : sources.sources) list += (list.empty() ? "" : ", ") + s.name;
  log::info("control", fmt::format("config {} applied ({}): {} source(s){}{}", version, how,
                                   sources.sources.size(), sources.sources.empty() ? "" : ": ", list));
  run(version, sources);
  if (sinks_.keep) sinks_.keep(version, config_json);
}

}  // namespace sr::agent
