// The StreamStatus rules of the wire contract, as a state machine fed one
// chunk at a time. The first violation ends the stream with the status the
// deployed gateway answers; messages name the rule and the values.
#pragma once

#include "monitoring.pb.h"

#include <grpcpp/support/status.h>

#include <cstddef>
#include <optional>
#include <string>

namespace sr::gateway {

struct StreamLimits {
  std::size_t max_services = 5000;            // per stream: RESOURCE_EXHAUSTED beyond
  std::size_t max_message_bytes = 15u << 20;  // per results message: RESOURCE_EXHAUSTED beyond
};

class StreamRules {
 public:
  explicit StreamRules(std::string cert_agent_id, StreamLimits limits = {});

  // nullopt: the chunk is acceptable. Otherwise the status ending the stream.
  std::optional<grpc::Status> accept(const monitoring::GatewayStatusChunk& chunk);
  // The client half-closed: OK only after the final chunk.
  grpc::Status finish() const;

  int chunks_seen() const noexcept { return next_index_; }
  std::size_t services_seen() const noexcept { return services_; }
  bool final_seen() const noexcept { return final_seen_; }

 private:
  std::optional<grpc::Status> check_identity(const monitoring::GatewayStatusChunk& chunk) const;
  std::optional<grpc::Status> check_sequence(const monitoring::GatewayStatusChunk& chunk) const;
  std::optional<grpc::Status> check_sizes(const monitoring::GatewayStatusChunk& chunk) const;

  std::string agent_id_;
  StreamLimits limits_;
  int total_ = 0;  // from the first chunk
  int next_index_ = 0;
  std::size_t services_ = 0;
  bool final_seen_ = false;
};

}  // namespace sr::gateway
