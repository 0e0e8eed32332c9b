// The gateway's admin endpoints on its HTTP listener, behind the admin token:
//   POST /admin/commands  queue a command for an agent's ControlStream
// Answers are JSON; errors say what was wrong ({"error": "..."}).
#pragma once

#include "net/http/server.hpp"
#include "tools/agent-gateway/admin/admin_token.hpp"
#include "tools/agent-gateway/gateway_service.hpp"

namespace sr::gateway {

// `token` and `service` must outlive the server.
void add_admin_routes(sr::net::http::Server& http, GatewayService& service,
                      const AdminToken& token);

}  // namespace sr::gateway
