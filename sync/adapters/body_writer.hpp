// A device body written field by field, straight from a source's parsed
// fields: the bytes stamp_update + append_device_body would write for the
// same device (same keys, order, escaping), without the DeviceUpdate. The
// encoders (armis_encode, netbox_encode) share it.
#pragma once

#include "sync/adapters/adapter.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sr::sync {

// The fields of a body before its metadata.
struct BodyHead {
  std::string_view ip;        // canonical: nothing to escape
  std::string_view mac;       // "" = none
  std::string_view hostname;  // "" = none
  std::string_view source;    // "armis", "netbox"
  bool available = true;
  int confidence = 7;
};

// Appends '{' and the head's fields (as stamp_update sets them from `info`);
// returns where the "ip" value starts in `out`.
std::size_t append_body_head(std::string& out, const RunInfo& info, const BodyHead& head);

// ,"metadata":{"k":"v",...} as DeviceUpdate::meta and append_device_body
// write it: empty values left out, nothing at all without a value. Keys are
// literals with nothing to escape.
class MetadataWriter {
 public:
  explicit MetadataWriter(std::string& out) : out_(out) {}
  void add(std::string_view key, std::string_view value);
  void add(std::string_view key, std::int64_t value);
  // A value of items joined by ',' (each escaped; none empty): key(), then
  // item() for each, the first with first = true.
  void key(std::string_view key);
  void item(std::string_view text, bool first);
  // Closes the object (if any value was written).
  void finish();

 private:
  std::string& out_;
  bool open_ = false;
};

}  // namespace sr::sync
