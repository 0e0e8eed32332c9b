// The one path a config from the gateway takes, whether fetched (GetConfig),
// pushed (ControlStream) or read from the config cache at start-up:
// apply_config(version, json, origin). It keeps the running version, hands
// the sources to the sync runtime (or says, once per version, that they do
// not run when sync_runtime_enabled is false) and keeps a config from the
// gateway for the next start.
#pragma once

#include "sync/config/source_config.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

namespace sr::agent {

// Where a config came from; the log names it ("enrolment", "poll", "pushed").
enum class ConfigOrigin { enrolment, poll, pushed, cached };
const char* origin_name(ConfigOrigin origin);

struct ConfigSinks {
  // Runs the sources (the sync runtime); only when sync_runtime_enabled.
  std::function<void(const sync::SourcesConfig&)> run_sources;
  // Keeps a config from the gateway (the config cache); never a cached one.
  std::function<void(const std::string& version, const std::string& config_json)> keep;
};

class ConfigApplier {
 public:
  ConfigApplier(bool sync_enabled, ConfigSinks sinks);

  // On one strand (the control plane's), or before the pool starts.
  // From the gateway: a version already running is not applied again, and a
  // config that is not JSON at all is refused whole (the last good one runs
  // on). Cached: runs until the gateway answers; it does not make the agent
  // ready, and the gateway's same version is applied over it once.
  void apply_config(const std::string& version, const std::string& config_json, ConfigOrigin origin);

  std::string version() const;  // the last applied, or the cached one; "" before any
  bool applied() const noexcept { return applied_; }  // a config from the gateway is running
  bool sync_enabled() const noexcept { return sync_enabled_; }

 private:
  void record(const std::string& version, bool from_gateway);
  void run(const std::string& version, const sync::SourcesConfig& sources);

  const bool sync_enabled_;
  ConfigSinks sinks_;
  std::atomic<bool> applied_{false};
  mutable std::mutex mu_;
  std::string version_;
  std::string reported_;  // the version whose sources were said not to run
};

}  // namespace sr::agent
