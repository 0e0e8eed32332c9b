// One device as the platform receives it (wire-contract.md, "Device
// update"), and its JSON written straight into a chunk buffer: no DOM per
// device on the hot path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sr::sync {

// A metadata key: a string literal only (checked at compile time), so keys
// cost no allocation per device and can never dangle.
class MetaKey {
 public:
  template <std::size_t N>
  consteval MetaKey(const char (&literal)[N]) : text_(literal, N - 1) {}  // NOLINT: implicit on purpose
  std::string_view view() const noexcept { return text_; }
  friend bool operator==(MetaKey a, std::string_view b) noexcept { return a.text_ == b; }

 private:
  std::string_view text_;
};

struct DeviceUpdate {
  std::string device_id;   // <partition>:<ip>
  std::string ip;
  std::string mac;         // optional, AA:BB:CC:DD:EE:FF
  std::string hostname;    // optional
  std::string source;      // armis, netbox, integration, ...
  std::string agent_id;
  std::string gateway_id;
  std::string partition;
  std::string timestamp;   // RFC 3339 UTC with nanoseconds
  int confidence = 7;
  std::optional<bool> is_available;  // the core reads a missing one as false (see README, "Identifiers")
  std::vector<std::pair<MetaKey, std::string>> metadata;  // in insertion order

  // Keys must be unique; callers add each key once. Empty values are left out.
  void meta(MetaKey key, std::string value) {
    if (!value.empty()) metadata.emplace_back(key, std::move(value));
  }
};

using DeviceBatch = std::vector<DeviceUpdate>;

// Appends the device as a JSON object *without* its closing brace, so the
// run's sync_meta can follow once the run is complete (see chunk_message).
// Empty optional fields are left out. Keys and string escaping are the
// contract's (contract/device_json.hpp).
void append_device_body(std::string& out, const DeviceUpdate& d);

}  // namespace sr::sync
