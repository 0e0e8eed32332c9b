// Per-call settings every RPC needs. There is no default deadline on purpose:
// gRPC's own advice is a deadline on every call, so the type demands one.
#pragma once

#include <grpcpp/client_context.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace sr::grpc_bridge {

struct CallOptions {
  std::chrono::system_clock::time_point deadline;
  // Queue the call while the channel connects instead of failing fast.
  bool wait_for_ready = false;
  std::vector<std::pair<std::string, std::string>> metadata;

  static CallOptions timeout(std::chrono::system_clock::duration d) {
    return CallOptions{std::chrono::system_clock::now() + d, false, {}};
  }

  void apply(grpc::ClientContext& ctx) const {
    ctx.set_deadline(deadline);
    ctx.set_wait_for_ready(wait_for_ready);
    for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
  }
};

}  // namespace sr::grpc_bridge
