#include "sync/device/device_update.hpp"

#include "contract/device_json.hpp"

#include <fmt/format.h>

namespace sr::sync {

namespace {

// ,"metadata":{"<key>":"<value>",...}
void append_metadata(std::string& out, const std::vector<std::pair<MetaKey, std::string>>& metadata) {
  out += ',';
  contract::append_json_key(out, contract::device_key::metadata);
  out += '{';
  bool first = true;
  for (const auto& [k, v] : metadata) {
    if (!first) out += ',';
    first = false;
    contract::append_json_string(out, k.view());  // escaped all the same: not a device_key
    out += ':';
    contract::append_json_string(out, v);
  }
  out += '}';
}

}  // namespace

void append_device_body(std::string& out, const DeviceUpdate& d) {
  using contract::append_json_field, contract::append_json_key;
  namespace key = contract::device_key;
  out += '{';
  bool first = true;
  append_json_field(out, key::device_id, d.device_id, first);
  append_json_field(out, key::ip, d.ip, first);
  if (!d.mac.empty()) append_json_field(out, key::mac, d.mac, first);
  if (!d.hostname.empty()) append_json_field(out, key::hostname, d.hostname, first);
  append_json_field(out, key::source, d.source, first);
  if (!d.agent_id.empty()) append_json_field(out, key::agent_id, d.agent_id, first);
  if (!d.gateway_id.empty()) append_json_field(out, key::gateway_id, d.gateway_id, first);
  append_json_field(out, key::partition, d.partition.empty() ? contract::kDefaultPartition : d.partition, first);
  append_json_field(out, key::timestamp, d.timestamp, first);
  if (d.is_available) {
    out += ',';
    append_json_key(out, key::is_available);
    out += *d.is_available ? "true" : "false";
  }
  out += ',';
  append_json_key(out, key::confidence);
  fmt::format_to(std::back_inserter(out), "{}", d.confidence);
  if (!d.metadata.empty()) append_metadata(out, d.metadata);
}

}  // namespace sr::sync
