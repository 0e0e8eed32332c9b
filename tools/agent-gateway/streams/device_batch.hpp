// The payload of a sync results message: a JSON array of device updates
// (wire contract, "Device update"). The gateway is strict: anything else
// rejects the stream, with the chunk, element and JSON position named.
#pragma once

#include "net/expected.hpp"

#include <boost/json/object.hpp>

#include <string_view>
#include <vector>

namespace sr::gateway {

using Devices = std::vector<boost::json::object>;

net::Expected<Devices> parse_devices(std::string_view message, int chunk_index);

// Whether a service of a chunk carries sync results (the others, if any, are
// counted and ignored).
bool carries_sync_results(std::string_view service_type, std::string_view service_name);

}  // namespace sr::gateway
