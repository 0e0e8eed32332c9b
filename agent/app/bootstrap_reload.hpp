// SIGHUP: the bootstrap and certificates read again. The identity must stay
// the same (a rotated certificate), else the running bootstrap stays.
#pragma once

#include "agent/bootstrap/bootstrap_config.hpp"
#include "agent/gateway/agent_identity.hpp"
#include "base/expected.hpp"

#include <optional>

namespace sr::agent {

// The bootstrap the next session uses, or nullopt (logged why) to keep the
// running one. sync_runtime_enabled keeps its running value (`sync_enabled`):
// changing it takes a restart.
std::optional<BootstrapConfig> reloaded_bootstrap(base::Expected<Bootstrap> boot, const AgentIdentity& running,
                                                  bool sync_enabled);

}  // namespace sr::agent
