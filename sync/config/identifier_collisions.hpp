// Which sources of one config would claim the same identifier values in the
// platform. The core looks a device up by (identifier kind, value,
// partition) and does not scope armis_device_id or netbox_device_id by
// source: two Armis (or two NetBox) instances synced into one partition
// number their devices independently, so device 42 of one would be merged
// into device 42 of the other. Two sources reading the same instance (same
// host and port: different queries or filters) describe the same devices
// and do not collide.
#pragma once

#include "sync/config/source_config.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync {

// One warning by source name, for each source that collides with others
// (naming a few of them, then how many more).
// `agent_partition` is the partition of sources that name none.
std::map<std::string, std::vector<std::string>> identifier_collisions(const std::vector<SourceConfig>& sources,
                                                                      std::string_view agent_partition);

}  // namespace sr::sync
