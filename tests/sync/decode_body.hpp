// A device body read back into a DeviceUpdate, so tests written against
// DeviceUpdates also check what an adapter pushes as an EncodedBatch. A
// body's empty partition reads back as "default" (what it says on the wire).
#pragma once

#include "sync/device/device_update.hpp"
#include "sync/pipeline/encoded_batch.hpp"

#include <boost/json/parse.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sr::test {

// Metadata keys are literals (MetaKey): every key the sources write.
inline sync::MetaKey known_meta_key(std::string_view key) {
  static constexpr std::array<sync::MetaKey, 20> keys{
      "integration_type", "armis_device_id", "armis_type",   "armis_category", "manufacturer",
      "model",            "operating_system", "armis_boundaries", "armis_risk_level", "query_label",
      "armis_tags",       "all_ips",         "ip_count",     "netbox_device_id", "device_role",
      "site",             "status",          "serial",       "_deleted",       "faker_device_id"};
  for (auto k : keys)
    if (k == key) return k;
  throw std::invalid_argument("decode_body: metadata key \"" + std::string(key) + "\" is not one a source writes");
}

inline sync::DeviceUpdate decode_body(std::string_view body) {
  boost::json::parse_options text_as_is;
  text_as_is.allow_invalid_utf8 = true;  // bodies pass a source's bytes through, as the platform gets them
  const auto doc = boost::json::parse(std::string(body) + "}", {}, text_as_is).as_object();
  auto text = [&](const char* key) {
    const auto* v = doc.if_contains(key);
    return v ? std::string(v->as_string()) : std::string();
  };
  sync::DeviceUpdate d;
  d.device_id = text("device_id");
  d.ip = text("ip");
  d.mac = text("mac");
  d.hostname = text("hostname");
  d.source = text("source");
  d.agent_id = text("agent_id");
  d.gateway_id = text("gateway_id");
  d.partition = text("partition");
  d.timestamp = text("timestamp");
  d.confidence = static_cast<int>(doc.at("confidence").as_int64());
  if (const auto* a = doc.if_contains("is_available")) d.is_available = a->as_bool();
  if (const auto* m = doc.if_contains("metadata"))
    for (const auto& kv : m->as_object()) d.meta(known_meta_key(kv.key()), std::string(kv.value().as_string()));
  return d;
}

inline std::vector<sync::DeviceUpdate> decode_batch(const sync::EncodedBatch& batch) {
  std::vector<sync::DeviceUpdate> out;
  for (std::size_t i = 0; i < batch.size(); ++i) out.push_back(decode_body(batch.body(i)));
  return out;
}

}  // namespace sr::test
