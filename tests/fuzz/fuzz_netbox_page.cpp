// A NetBox devices page, fed in two pieces, each device mapped to an update.
#include "sync/adapters/netbox/netbox_page.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"
#include "sync/device/device_update.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t cut = all.empty() ? 0 : data[0] % (all.size() + 1);
  sr::sync::RunInfo info;
  info.partition = "default";
  info.timestamp = "2026-01-01T00:00:00Z";
  std::string body;
  sr::sync::netbox::NetboxPageParser parser([&](sr::sync::netbox::NetboxDevice& d) {
    sr::sync::DeviceUpdate update;
    if (sr::sync::netbox::to_update(std::move(d), info, update)) {
      body.clear();
      sr::sync::append_device_body(body, update);
    }
    return true;
  });
  if (parser.feed(all.substr(0, cut)).empty() && parser.feed(all.substr(cut)).empty()) (void)parser.finish();
  return 0;
}
