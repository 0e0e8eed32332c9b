// The sync runtime's heartbeat: a PushStatus service "sync" whose message is
//   {"config_version": "...", "sources": {"<name>": {"type", "last_run",
//    "result", "devices", "error", "stage", ...}}}
// read into per-source reports for the status page and the admin API.
#pragma once

#include "base/expected.hpp"
#include "tools/agent-gateway/gateway_state.hpp"

#include <string_view>
#include <vector>

namespace sr::gateway {

// Errors name what was wrong ("sources.armis-hq.devices: not a count").
// Unknown keys are ignored: newer agents may report more.
base::Expected<std::vector<SourceReport>> parse_sync_heartbeat(std::string_view message,
                                                              const std::string& agent_id,
                                                              std::int64_t now);

}  // namespace sr::gateway
