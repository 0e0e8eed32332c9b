// The results message of a StreamStatus chunk, as the gateway parses it and
// reduces each device for identity reconciliation.
#include "tools/agent-gateway/inventory/device_identity.hpp"
#include "tools/agent-gateway/streams/device_batch.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto devices = sr::gateway::parse_devices(std::string_view(reinterpret_cast<const char*>(data), size), 0);
  if (!devices) return 0;
  for (std::size_t i = 0; i < devices->size(); ++i) {
    std::string error;
    if (auto d = sr::gateway::inventory::incoming_device((*devices)[i], error))
      (void)sr::gateway::inventory::deterministic_id(*d);
  }
  return 0;
}
