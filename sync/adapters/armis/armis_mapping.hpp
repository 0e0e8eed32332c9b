// Armis devices as device updates (integrations.md, "Mapping"): a device is
// first gathered (IPs split and made canonical, MAC normalised), merged with
// what other queries said of the same Armis id, then written out once.
#pragma once

#include "sync/adapters/adapter.hpp"
#include "sync/adapters/armis/armis_page.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace sr::sync::armis {

struct GatheredDevice {
  ArmisDevice raw;                  // scalar fields as first seen; ip/mac text dropped
  std::vector<std::string> ips;     // canonical, unique, in order of appearance
  std::string mac;                  // the first token that is a MAC, normalised
  std::vector<std::string> tags;    // unique
  std::vector<std::string> labels;  // the queries that matched it
};

GatheredDevice gather(ArmisDevice&& device, std::string_view query_label);
// Adds another query's view of the same device: IPs, tags and labels united;
// empty fields filled.
void merge(GatheredDevice& into, ArmisDevice&& more, std::string_view query_label);
// False when the device has no valid IP (skipped: the platform keys devices by IP).
bool to_update(GatheredDevice&& device, const RunInfo& info, DeviceUpdate& out);

}  // namespace sr::sync::armis
