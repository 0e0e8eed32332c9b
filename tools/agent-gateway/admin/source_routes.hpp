// The integration admin API, under /admin/tenants/<tenant>/, behind the admin token:
//   GET    agents                    the tenant's agents: sync capability, online, last seen
//   GET    sources                   its sources (credentials as key names only) and
//                                    each one's last result (heartbeats, streams)
//   POST   sources                   create {"name", "type", settings..., "agent_id"?, "enabled"?};
//                                    409 while the tenant has no enrolled agent
//   GET    sources/<name>            one source
//   PATCH  sources/<name>            change keys (null removes; credentials merge key by key)
//   DELETE sources/<name>            remove it
//   POST   sources/<name>/enable     and .../disable
// Every change is written to the tenant's store file and pushed to its agents
// at once (ControlStream push; GetConfig answers the new version).
#pragma once

#include "net/http/server.hpp"
#include "tools/agent-gateway/admin/admin_token.hpp"
#include "tools/agent-gateway/control/control_hub.hpp"
#include "tools/agent-gateway/gateway_state.hpp"

namespace sr::gateway {

// The references must outlive the server.
void add_source_routes(sr::net::http::Server& http, ControlHub& hub, const GatewayState& state,
                       const AdminToken& token);

}  // namespace sr::gateway
