// The chunk JSON both sides agree on (wire-contract.md, "Device update"):
// the keys of a device update and how a string is written. The agent writes
// with these (sync/device/device_update.cpp), the gateway reads by the same
// keys (tools/agent-gateway/inventory).
#pragma once

#include <string>
#include <string_view>

namespace sr::contract {

// The keys of one device update object, as the platform reads them.
namespace device_key {
inline constexpr std::string_view device_id = "device_id";
inline constexpr std::string_view ip = "ip";
inline constexpr std::string_view mac = "mac";
inline constexpr std::string_view hostname = "hostname";
inline constexpr std::string_view source = "source";
inline constexpr std::string_view agent_id = "agent_id";
inline constexpr std::string_view gateway_id = "gateway_id";
inline constexpr std::string_view partition = "partition";
inline constexpr std::string_view timestamp = "timestamp";
inline constexpr std::string_view is_available = "is_available";
inline constexpr std::string_view confidence = "confidence";
inline constexpr std::string_view metadata = "metadata";
inline constexpr std::string_view tags = "tags";
inline constexpr std::string_view sync_meta = "sync_meta";
}  // namespace device_key

// The keys inside a device update's "sync_meta" (the run it came from).
namespace sync_meta_key {
inline constexpr std::string_view sync_service_id = "sync_service_id";
inline constexpr std::string_view sync_run_id = "sync_run_id";
}  // namespace sync_meta_key

// The partition of a device update that names none.
inline constexpr std::string_view kDefaultPartition = "default";

// Appends `s` as a JSON string literal (quotes included). Text is passed
// through as UTF-8; control characters, quotes and backslashes are escaped.
void append_json_string(std::string& out, std::string_view s);

// Appends `"key":` (keys are ours: plain ASCII, nothing to escape).
void append_json_key(std::string& out, std::string_view key);

// Appends `"key":"value"` with the value escaped, after a comma unless
// `first` (which it then clears).
void append_json_field(std::string& out, std::string_view key, std::string_view value, bool& first);

}  // namespace sr::contract
