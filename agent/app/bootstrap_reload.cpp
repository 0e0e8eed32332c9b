#include "agent/app/bootstrap_reload.hpp"

#include "base/log/logger.hpp"
#include "base/read_file.hpp"
#include "net/tls/peer_identity.hpp"

#include <fmt/format.h>

namespace sr::agent {

namespace {

std::string certificate_serial(const BootstrapConfig& c) {
  auto pem = base::read_file(c.cert_file);
  if (!pem) return "?";
  auto facts = net::tls::read_certificate(*pem);
  return facts ? facts->serial : "?";
}

bool same_agent(const AgentIdentity& now, const AgentIdentity& running) {
  if (now.agent_id == running.agent_id && now.partition == running.partition && now.tenant == running.tenant)
    return true;
  log::error("bootstrap", fmt::format("SIGHUP: the certificate now names agent '{}' (partition '{}', "
                                      "tenant '{}'), not this agent: keeping the running bootstrap",
                                      now.agent_id, now.partition, now.tenant));
  return false;
}

}  // namespace

std::optional<BootstrapConfig> reloaded_bootstrap(base::Expected<Bootstrap> boot, const AgentIdentity& running,
                                                  bool sync_enabled) {
  if (!boot) {
    log::error("bootstrap", "SIGHUP: keeping the running bootstrap: " + boot.error());
    return std::nullopt;
  }
  auto id = identity_from_certificate(boot->config);
  if (!id) {
    log::error("bootstrap", "SIGHUP: keeping the running bootstrap: " + id.error());
    return std::nullopt;
  }
  if (!same_agent(*id, running)) return std::nullopt;
  for (const auto& w : boot->warnings) log::warn("bootstrap", "SIGHUP: " + w);
  for (const auto& w : identity_warnings(*boot, *id)) log::warn("bootstrap", "SIGHUP: " + w);
  if (boot->config.sync_runtime_enabled != sync_enabled) {
    log::warn("bootstrap", fmt::format("SIGHUP: sync_runtime_enabled is now {}: that takes a restart; "
                                       "it stays {} until then", boot->config.sync_runtime_enabled,
                                       sync_enabled));
    boot->config.sync_runtime_enabled = sync_enabled;
  }
  log::info("bootstrap", fmt::format("SIGHUP: bootstrap and certificate re-read ({}, serial {})",
                                     boot->config.cert_file, certificate_serial(boot->config)));
  return std::move(boot->config);
}

}  // namespace sr::agent
