// The gateway's admin endpoints on its HTTP listener, behind the admin token:
//   POST /admin/commands  queue a command for an agent's ControlStream
// Answers are JSON; errors say what was wrong ({"error": "..."}).
#pragma once

#include "net/http/server.hpp"
#include "tools/agent-gateway/admin/admin_token.hpp"
#include "tools/agent-gateway/control/control_hub.hpp"

namespace sr::gateway {

// `token` and `hub` must outlive the server.
void add_admin_routes(sr::net::http::Server& http, ControlHub& hub,
                      const AdminToken& token);

}  // namespace sr::gateway
