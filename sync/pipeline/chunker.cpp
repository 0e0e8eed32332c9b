#include "sync/pipeline/chunker.hpp"

#include "base/env_knob.hpp"

#include <algorithm>
#include <utility>

namespace sr::sync {

ChunkLimits ChunkLimits::from_environment(std::vector<std::string>& warnings) {
  using base::env_knob, base::KnobUnit;
  ChunkLimits limits;
  limits.max_bytes = env_knob("SWEEP_RESULTS_MAX_CHUNK_BYTES", KnobUnit::bytes, {kMinBytes, kMaxBytes},
                              limits.max_bytes, warnings);
  limits.max_entries = env_knob("SWEEP_RESULTS_MAX_HOSTS_PER_CHUNK", KnobUnit::count, {kMinEntries},
                                limits.max_entries, warnings);
  return limits;
}

Chunker::Chunker(ChunkLimits limits, std::size_t meta_reserve)
    : limits_(limits), meta_reserve_(meta_reserve) {}

std::optional<ChunkData> Chunker::add(const DeviceUpdate& device) {
  const std::size_t before = open_.bodies.size();
  if (open_.devices > 0) open_.bodies += '\n';
  append_device_body(open_.bodies, device);
  return place(before);
}

std::optional<ChunkData> Chunker::add_body(std::string_view body) {
  const std::size_t before = open_.bodies.size();
  if (open_.devices > 0) open_.bodies += '\n';
  open_.bodies += body;
  return place(before);
}

std::optional<ChunkData> Chunker::place(std::size_t before) {
  const std::size_t entry = open_.bodies.size() - before - (open_.devices > 0 ? 1 : 0) + meta_reserve_;
  const std::size_t comma = open_.devices > 0 ? 1 : 0;
  const bool fits = bound_ + comma + entry <= limits_.max_bytes && open_.devices < limits_.max_entries;
  if (open_.devices == 0 || fits) {
    bound_ += comma + entry;
    ++open_.devices;
    return std::nullopt;
  }
  // The device starts the next chunk; the open one is sealed without it.
  ChunkData next;
  next.bodies = std::exchange(spare_, std::string());
  next.bodies.reserve(std::min(limits_.max_bytes, open_.bodies.capacity()));
  next.bodies.assign(open_.bodies, before + 1);
  next.devices = 1;
  open_.bodies.resize(before);
  ChunkData sealed = std::move(open_);
  open_ = std::move(next);
  bound_ = 2 + entry;
  return sealed;
}

void Chunker::recycle(std::string buffer) {
  if (buffer.capacity() > spare_.capacity()) {
    buffer.clear();
    spare_ = std::move(buffer);
  }
}

std::optional<ChunkData> Chunker::finish() {
  if (open_.devices == 0) return std::nullopt;
  ChunkData sealed = std::move(open_);
  open_ = ChunkData{};
  bound_ = 2;
  return sealed;
}

}  // namespace sr::sync
