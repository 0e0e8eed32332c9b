// An operator's order to send a command to one agent over its ControlStream
// (POST /admin/commands): the JSON body, checked field by field.
#pragma once

#include "monitoring.pb.h"
#include "tools/agent-gateway/gateway_state.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace sr::gateway {

struct CommandOrder {
  AgentKey agent;
  monitoring::CommandRequest request;
};

// Body: {"tenant", "agent_id", "command_type" (strings, required),
// "payload" (any JSON, sent as payload_json), "ttl_seconds" (1..86400,
// default 300), "created_at" (Unix s, default now), "command_id" (default
// generated from `now` and `sequence`)}. The error names the field.
std::variant<CommandOrder, std::string> parse_command_order(std::string_view body,
                                                           std::int64_t now,
                                                           std::uint64_t sequence);

}  // namespace sr::gateway
