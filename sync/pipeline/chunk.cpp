#include "sync/pipeline/chunk.hpp"

#include "contract/device_json.hpp"

#include <fmt/format.h>

#include <limits>

namespace sr::sync {

void append_sync_meta(std::string& out, const SyncMeta& m) {
  out += ",\"sync_meta\":{\"sync_service_id\":";
  contract::append_json_string(out, m.sync_service_id);
  out += ",\"sync_run_id\":";
  contract::append_json_string(out, m.sync_run_id);
  fmt::format_to(std::back_inserter(out),
                 ",\"chunk_index\":{},\"total_chunks\":{},\"total_devices\":{},\"is_final\":{}}}}}",
                 m.chunk_index, m.total_chunks, m.total_devices, m.is_final());
}

std::size_t sync_meta_size(const SyncMeta& meta) {
  std::string s;
  append_sync_meta(s, meta);
  return s.size();
}

std::size_t sync_meta_worst_case(std::string_view service_id, std::string_view run_id) {
  // chunk_index and total_chunks as wide as an int32 gets, total_devices as a
  // uint64, and "false" (wider than "true").
  SyncMeta widest{service_id, run_id, std::numeric_limits<std::int32_t>::max() - 1,
                  std::numeric_limits<std::int32_t>::max(),
                  std::numeric_limits<std::uint64_t>::max()};
  widest.chunk_index = 1'000'000'000;  // 10 digits and not final
  return sync_meta_size(widest);
}

std::size_t chunk_message_size(const ChunkData& chunk, const SyncMeta& meta) {
  if (chunk.devices == 0) return 2;
  // '[' ']' + bodies (their '\n' separators become the commas) + one meta per device.
  return 2 + chunk.bodies.size() + chunk.devices * sync_meta_size(meta);
}

std::string build_chunk_message(const ChunkData& chunk, const SyncMeta& meta) {
  std::string meta_text;
  append_sync_meta(meta_text, meta);
  std::string out;
  out.reserve(chunk_message_size(chunk, meta));
  out += '[';
  bool first = true;
  for_each_body(chunk, [&](std::string_view body) {
    if (!first) out += ',';
    first = false;
    out += body;
    out += meta_text;
  });
  out += ']';
  return out;
}

}  // namespace sr::sync
