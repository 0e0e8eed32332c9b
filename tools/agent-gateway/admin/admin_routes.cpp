#include "tools/agent-gateway/admin/admin_routes.hpp"

#include "tools/agent-gateway/admin/admin_auth.hpp"
#include "tools/agent-gateway/admin/command_order.hpp"
#include "base/log/logger.hpp"

#include <fmt/format.h>
#include "base/clock.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <memory>

namespace sr::gateway {

namespace json = boost::json;
using sr::net::http::Request;
using sr::net::http::Response;

namespace {

Response error(unsigned status, const std::string& message) {
  return {status, "application/json", json::serialize(json::object{{"error", message}})};
}

Response post_command(ControlHub& hub, const Request& req, std::uint64_t sequence) {
  auto parsed = parse_command_order(req.body, base::unix_now(), sequence);
  if (auto* why = std::get_if<std::string>(&parsed))
    return error(400, "POST /admin/commands: " + *why);
  auto& order = std::get<CommandOrder>(parsed);
  const std::string id = order.request.command_id();
  switch (hub.send_command(order.agent, std::move(order.request))) {
    case ControlHub::CommandQueued::no_stream:
      return error(409, "agent '" + order.agent.agent_id + "' of tenant '" + order.agent.tenant +
                            "' has no open ControlStream");
    case ControlHub::CommandQueued::queue_full:
      return error(429, "too many commands queued for agent '" + order.agent.agent_id + "'");
    case ControlHub::CommandQueued::yes:
      break;
  }
  log::info({}, fmt::format("admin: command {} queued for agent '{}' (tenant '{}')", id, order.agent.agent_id,
      order.agent.tenant));
  return {202, "application/json",
          json::serialize(json::object{{"command_id", id}, {"state", "queued"}})};
}

}  // namespace

void add_admin_routes(sr::net::http::Server& http, ControlHub& hub,
                      const AdminToken& token) {
  auto sequence = std::make_shared<std::atomic<std::uint64_t>>(0);
  http.route(
      "/admin/commands",
      [&hub, &token, sequence](const Request& req) {
        if (auto refusal = refuse_unauthorised(token, req)) return *refusal;
        return post_command(hub, req, ++*sequence);
      },
      sr::net::http::Server::Methods::write, admin_gate(token));
}

}  // namespace sr::gateway
