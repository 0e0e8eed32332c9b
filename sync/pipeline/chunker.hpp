// Cuts a run's devices into chunks: each chunk's message stays within
// max_bytes (the JSON array's bytes, brackets and commas counted, sync_meta
// at its widest) and max_entries. One device larger than max_bytes gets a
// chunk of its own.
#pragma once

#include "sync/device/device_update.hpp"
#include "sync/pipeline/chunk.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync {

struct ChunkLimits {
  static constexpr std::size_t kMinBytes = 64 * 1024;            // contract's floor
  static constexpr std::size_t kMaxBytes = 15 * 1024 * 1024 - 64 * 1024;  // gateway takes 15 MiB
  static constexpr std::size_t kMinEntries = 100;                 // contract's floor

  std::size_t max_bytes = 3 * 1024 * 1024;  // the mission's ~3 MiB, under gRPC's 4 MiB default
  std::size_t max_entries = 10'000;

  // SWEEP_RESULTS_MAX_CHUNK_BYTES (bytes, or 512KB / 3MiB) and
  // SWEEP_RESULTS_MAX_HOSTS_PER_CHUNK, clamped to the floors above; each
  // bad or clamped value adds a warning naming the variable.
  static ChunkLimits from_environment(std::vector<std::string>& warnings);
};

class Chunker {
 public:
  Chunker(ChunkLimits limits, std::size_t meta_reserve);

  // Adds a device; returns the chunk it sealed, if the device did not fit.
  std::optional<ChunkData> add(const DeviceUpdate& device);
  // The same for a body already written (append_device_body's format, e.g.
  // an EncodedBatch's): the same bytes and sizes as add() of its device.
  std::optional<ChunkData> add_body(std::string_view body);
  // Seals the open chunk, if it holds any device.
  std::optional<ChunkData> finish();

  // Size the open chunk's message will have at most.
  std::size_t open_bound() const noexcept { return bound_; }

  // Hands back a sealed chunk's buffer once its bytes are kept elsewhere (a
  // spilled chunk): the next chunk is written into it. Fresh ~3 MiB buffers
  // cost a page fault per 4 KiB, which dominated the spill path.
  void recycle(std::string buffer);

 private:
  // Counts the body just written at `before` in the open chunk (after its
  // '\n' when the chunk had devices), or seals the chunk without it.
  std::optional<ChunkData> place(std::size_t before);

  ChunkLimits limits_;
  std::size_t meta_reserve_;
  ChunkData open_;
  std::string spare_;
  std::size_t bound_ = 2;  // '[' and ']'
};

}  // namespace sr::sync
