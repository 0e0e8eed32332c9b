// How a gRPC call is named in the gateway's log lines and /status: its
// caller ("agent 'a' (tenant 't', partition 'p')") and its status code.
#pragma once

#include "tools/agent-gateway/identity/client_verifier.hpp"

#include <fmt/format.h>
#include <grpcpp/support/status.h>

#include <string>

namespace sr::gateway {

inline const char* code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    default: return "OTHER";
  }
}

inline std::string who(const Caller& c) {
  if (c.identity.agent_id.empty()) return "unidentified client";
  return fmt::format("{} '{}' (tenant '{}', partition '{}')",
                     c.identity.component_type.empty() ? "agent" : c.identity.component_type,
                     c.identity.agent_id, c.identity.tenant, c.identity.partition);
}

}  // namespace sr::gateway
