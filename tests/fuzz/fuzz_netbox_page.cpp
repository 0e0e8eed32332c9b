// A NetBox devices page, fed in two pieces, each device mapped to an update.
#include "sync/adapters/netbox/netbox_page.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"
#include "sync/device/device_update.hpp"
#include "tests/fuzz/split_input.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = sr::fuzz::split_input(data, size);
  if (!input) return 0;
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
  sr::fuzz::feed_in_two(parser, *input);
  return 0;
}
