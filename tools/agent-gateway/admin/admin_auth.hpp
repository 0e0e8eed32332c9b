// The admin API's gate, for every admin route: 403 while the API is disabled
// (no --admin-token-file), 401 without the right bearer token. Loopback
// callers get no exemption. Routes install it as the server's gate (checked
// on the header, before any body is read) and check again in the handler.
#pragma once

#include "net/http/server.hpp"
#include "tools/agent-gateway/admin/admin_token.hpp"

#include <optional>

namespace sr::gateway {

// None when the request may go on, else the refusal.
inline std::optional<sr::net::http::Response> refuse_unauthorised(const AdminToken& token,
                                                                  const sr::net::http::Request& req) {
  if (!token.enabled())
    return sr::net::http::Response{
        403, "application/json",
        R"({"error":"the admin API is disabled: start the gateway with --admin-token-file"})"};
  if (!token.allows(req.authorization))
    return sr::net::http::Response{
        401, "application/json", R"x({"error":"missing or wrong admin token (Authorization: Bearer <token>)"})x"};
  return std::nullopt;
}

// The same check as the server's gate for a route: it runs on the request's
// header, so an unauthorised request is refused before its body is read.
inline sr::net::http::Gate admin_gate(const AdminToken& token) {
  return [&token](const sr::net::http::Request& req) { return refuse_unauthorised(token, req); };
}

}  // namespace sr::gateway
