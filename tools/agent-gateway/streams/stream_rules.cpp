#include "tools/agent-gateway/streams/stream_rules.hpp"

#include <fmt/core.h>

namespace sr::gateway {

namespace {

grpc::Status invalid(std::string why) { return {grpc::StatusCode::INVALID_ARGUMENT, std::move(why)}; }
grpc::Status exhausted(std::string why) {
  return {grpc::StatusCode::RESOURCE_EXHAUSTED, std::move(why)};
}

}  // namespace

StreamRules::StreamRules(std::string cert_agent_id, StreamLimits limits)
    : agent_id_(std::move(cert_agent_id)), limits_(limits) {}

std::optional<grpc::Status> StreamRules::check_identity(
    const monitoring::GatewayStatusChunk& chunk) const {
  const auto mismatch = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "component_id mismatch");
  if (chunk.agent_id() != agent_id_) return mismatch;
  for (const auto& svc : chunk.services())
    if (!svc.agent_id().empty() && svc.agent_id() != agent_id_) return mismatch;
  return std::nullopt;
}

std::optional<grpc::Status> StreamRules::check_sequence(
    const monitoring::GatewayStatusChunk& chunk) const {
  const int index = chunk.chunk_index();
  if (final_seen_)
    return invalid(fmt::format("chunk {} after the final chunk {}", index, next_index_ - 1));
  if (chunk.total_chunks() <= 0)
    return invalid(fmt::format("total_chunks must be > 0, got {} at chunk {}", chunk.total_chunks(),
                               index));
  if (total_ != 0 && chunk.total_chunks() != total_)
    return invalid(fmt::format("total_chunks changed from {} to {} at chunk {}", total_,
                               chunk.total_chunks(), index));
  if (index != next_index_)
    return invalid(fmt::format("chunk_index {} out of order: expected {}", index, next_index_));
  const int last = chunk.total_chunks() - 1;
  if (chunk.is_final() && index != last)
    return invalid(fmt::format("final chunk at index {}, expected {} (total_chunks {})", index,
                               last, chunk.total_chunks()));
  if (!chunk.is_final() && index == last)
    return invalid(fmt::format("chunk {} is the last of {} but not marked final", index,
                               chunk.total_chunks()));
  return std::nullopt;
}

std::optional<grpc::Status> StreamRules::check_sizes(
    const monitoring::GatewayStatusChunk& chunk) const {
  const std::size_t services = services_ + static_cast<std::size_t>(chunk.services_size());
  if (services > limits_.max_services)
    return exhausted(fmt::format("stream carries {} services, more than the limit of {}", services,
                                 limits_.max_services));
  for (const auto& svc : chunk.services()) {
    if (svc.message().size() > limits_.max_message_bytes)
      return exhausted(fmt::format("results message of {} bytes in chunk {}, more than {}",
                                   svc.message().size(), chunk.chunk_index(),
                                   limits_.max_message_bytes));
  }
  return std::nullopt;
}

std::optional<grpc::Status> StreamRules::accept(const monitoring::GatewayStatusChunk& chunk) {
  if (auto bad = check_identity(chunk)) return bad;
  if (auto bad = check_sequence(chunk)) return bad;
  if (auto bad = check_sizes(chunk)) return bad;
  total_ = chunk.total_chunks();
  ++next_index_;
  services_ += static_cast<std::size_t>(chunk.services_size());
  final_seen_ = chunk.is_final();
  return std::nullopt;
}

grpc::Status StreamRules::finish() const {
  if (final_seen_) return grpc::Status::OK;
  if (total_ == 0) return invalid("stream closed without any chunk");
  return invalid(fmt::format("stream closed without a final chunk (received {} of {})",
                             next_index_, total_));
}

}  // namespace sr::gateway
