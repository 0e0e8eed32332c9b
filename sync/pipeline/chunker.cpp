#include "sync/pipeline/chunker.hpp"

#include "sync/config/source_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <utility>

namespace sr::sync {


ChunkLimits ChunkLimits::from_environment(std::vector<std::string>& warnings) {
  ChunkLimits limits;
  if (const char* v = std::getenv("SWEEP_RESULTS_MAX_CHUNK_BYTES"); v && *v) {
    if (auto n = parse_size_text(v)) {
      limits.max_bytes = std::clamp<std::size_t>(*n, kMinBytes, kMaxBytes);
      if (limits.max_bytes != *n)
        warnings.push_back(fmt::format("SWEEP_RESULTS_MAX_CHUNK_BYTES={} is outside {}..{}: using {}",
                                       v, kMinBytes, kMaxBytes, limits.max_bytes));
    } else {
      warnings.push_back(fmt::format("SWEEP_RESULTS_MAX_CHUNK_BYTES=\"{}\" is not a size: using {}", v,
                                     limits.max_bytes));
    }
  }
  if (const char* v = std::getenv("SWEEP_RESULTS_MAX_HOSTS_PER_CHUNK"); v && *v) {
    std::size_t n = 0;
    const std::string_view s(v);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && p == s.data() + s.size()) {
      limits.max_entries = std::max(n, kMinEntries);
      if (limits.max_entries != n)
        warnings.push_back(fmt::format("SWEEP_RESULTS_MAX_HOSTS_PER_CHUNK={} is below {}: using {}", v,
                                       kMinEntries, kMinEntries));
    } else {
      warnings.push_back(fmt::format("SWEEP_RESULTS_MAX_HOSTS_PER_CHUNK=\"{}\" is not a number: using {}",
                                     v, limits.max_entries));
    }
  }
  return limits;
}

Chunker::Chunker(ChunkLimits limits, std::size_t meta_reserve)
    : limits_(limits), meta_reserve_(meta_reserve) {}

std::optional<ChunkData> Chunker::add(const DeviceUpdate& device) {
  const std::size_t before = open_.bodies.size();
  if (open_.devices > 0) open_.bodies += '\n';
  append_device_body(open_.bodies, device);
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
