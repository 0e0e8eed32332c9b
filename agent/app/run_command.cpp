// `serviceradar-agent run`: the bootstrap and identity read and logged, the
// state directory and spool opened, then an AgentApp with the gateway link
// until SIGINT or SIGTERM.
#include "agent/app/agent_app.hpp"
#include "agent/app/commands.hpp"
#include "agent/process/held_signals.hpp"
#include "agent/state/state_dir.hpp"
#include "agent/version.hpp"
#include "base/log/logger.hpp"
#include "base/text/duration.hpp"

#include <fmt/format.h>

#include <future>
#include <iostream>
#include <optional>

namespace sr::agent {

namespace {

struct RunInputs {
  Bootstrap boot;
  AgentIdentity id;
};

std::optional<std::chrono::milliseconds> duration_flag(const char* name, const std::string& text) {
  auto d = base::parse_duration(text);
  if (!d.value) {
    std::cerr << "serviceradar-agent: --" << name << ": " << d.error << "\n";
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d.value);
}

// The bootstrap (the logger configured from it) and the identity, their
// warnings logged; or the exit status.
int read_inputs(const RunCommand& cmd, std::optional<RunInputs>& out) {
  auto boot = cmd.load_bootstrap();
  if (!boot) {
    std::cerr << "serviceradar-agent: " << boot.error() << "\n";
    return kExitConfig;
  }
  const auto& config = boot->config;
  log::configure(config.log_level, config.log_format);
  for (const auto& i : cmd.hardening.info) log::info("agent", i);
  for (const auto& w : cmd.hardening.warnings) log::warn("agent", w);
  for (const auto& w : boot->warnings) log::warn("bootstrap", w);
  auto id = identity_from_certificate(config);
  if (!id) {
    log::error("bootstrap", id.error());
    return kExitConfig;
  }
  for (const auto& w : identity_warnings(*boot, *id)) log::warn("bootstrap", w);
  if (!config.sync_runtime_enabled)
    log::info("agent", "sync_runtime_enabled is false: enrolment, config and heartbeats run; no source "
                       "does, and Hello does not advertise the sync capability");
  out = RunInputs{std::move(*boot), std::move(*id)};
  return 0;
}

// The state directory made private and swept, the spool opened; or nullptr (logged).
std::shared_ptr<sync::SpoolStore> open_state(const BootstrapConfig& config) {
  if (!config.state_dir.empty()) {
    auto prepared = prepare_state_dir(config.state_dir);
    if (!prepared) {
      log::error("bootstrap", prepared.error());
      return nullptr;
    }
    if (!prepared->empty()) log::warn("bootstrap", *prepared);
    remove_state_leftovers(config.state_dir);
  }
  auto spool = open_spool(config.state_dir, config.spool_memory, config.spool_disk_cap);
  if (!spool) {
    log::error("bootstrap", "state_dir: " + spool.error());
    return nullptr;
  }
  if ((*spool)->leftovers_removed())
    log::info("sync", fmt::format("removed {} spool file(s) left by an earlier run in {}",
                                  (*spool)->leftovers_removed(), (*spool)->dir().string()));
  return std::move(*spool);
}

AppSettings app_settings(const BootstrapConfig& c, const AgentIdentity& id) {
  AppSettings s;
  s.threads = c.threads;
  s.agent_id = id.agent_id;
  s.partition = id.partition;
  s.run_timeout = c.run_timeout;
  if (!c.state_dir.empty()) s.source_state_dir = c.state_dir;
  s.min_sync_interval = c.min_sync_interval;
  return s;
}

GatewayLinkOptions link_options(const RunInputs& in, ReconnectBackoff backoff) {
  return {in.boot.config, in.id, version(), platform_facts(), backoff};
}

// Everything before start(): the config cache and its config, the HTTP
// endpoint. 0 or the exit status.
int prepare(AgentApp& app, const RunCommand& cmd, const RunInputs& in) {
  const auto& config = in.boot.config;
  if (auto err = app.open_config_cache(config); !err.empty()) {
    log::error("bootstrap", err);
    return kExitConfig;
  }
  // The last good config survives a restart without the gateway.
  app.apply_cached_config();
  log::info("agent", fmt::format("{} starting: agent {} partition {} gateway {}", version(), in.id.agent_id,
                                 in.id.partition, config.gateway_addr));
  if (!config.metrics_addr.empty()) {
    if (auto err = app.serve_http(config.metrics_addr); !err.empty()) {
      log::error("bootstrap", "metrics_addr: " + err);
      return kExitConfig;
    }
  }
  app.on_reload(cmd.load_bootstrap);
  return 0;
}

}  // namespace

int run_command(const RunCommand& cmd) {
  StopSignalsHeld held_signals;
  std::optional<RunInputs> in;
  if (int status = read_inputs(cmd, in)) return status;
  auto initial = duration_flag("backoff-initial", cmd.backoff_initial);
  auto max = duration_flag("backoff-max", cmd.backoff_max);
  if (!initial || !max) return kExitUsage;
  auto spool = open_state(in->boot.config);
  if (!spool) return kExitConfig;

  AgentApp app(app_settings(in->boot.config, in->id), std::move(spool),
               link_options(*in, ReconnectBackoff{*initial, *max}));
  if (int status = prepare(app, cmd, *in)) return status;
  std::promise<int> signalled;
  app.on_stop_signal([&](int sig) { signalled.set_value(sig); });
  held_signals.release();  // the signal sets exist: a signal held since start-up is theirs now
  app.start();

  const int sig = signalled.get_future().get();
  log::info("agent", fmt::format("signal {}: stopping (grace {} s)", sig, cmd.grace.count()));
  app.stop(cmd.grace);
  log::info("agent", "stopped");
  return 0;
}

}  // namespace sr::agent
