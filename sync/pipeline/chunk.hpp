// A sealed chunk of a run and the JSON message it becomes.
//
// While a run is in progress its chunks hold device bodies (JSON objects
// without their closing brace, one per line). Only when the run is complete
// are total_chunks and total_devices known, so the per-device sync_meta is
// written when the message is built for sending. The chunker sizes chunks
// with the widest sync_meta possible, so a built message never exceeds the
// limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sr::sync {

struct ChunkData {
  std::string bodies;        // device bodies separated by '\n' (never inside JSON text)
  std::uint32_t devices = 0;
};

struct SyncMeta {
  std::string_view sync_service_id;
  std::string_view sync_run_id;
  std::int32_t chunk_index = 0;
  std::int32_t total_chunks = 0;
  std::uint64_t total_devices = 0;
  bool is_final() const noexcept { return chunk_index + 1 == total_chunks; }
};

// Bytes of `,"sync_meta":{...}}` (the device's closing brace included).
std::size_t sync_meta_size(const SyncMeta& meta);
// The same for the widest numbers a run can have: what the chunker reserves.
std::size_t sync_meta_worst_case(std::string_view sync_service_id, std::string_view sync_run_id);

// The JSON array the gateway receives: '[' devices with sync_meta ']'.
std::string build_chunk_message(const ChunkData& chunk, const SyncMeta& meta);
// Its exact size, without building it.
std::size_t chunk_message_size(const ChunkData& chunk, const SyncMeta& meta);

// Calls f(body) for each device body of the chunk.
template <class F>
void for_each_body(const ChunkData& chunk, F&& f) {
  std::string_view rest = chunk.bodies;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    f(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
}

// Appends `,"sync_meta":{...}}`.
void append_sync_meta(std::string& out, const SyncMeta& meta);

}  // namespace sr::sync
