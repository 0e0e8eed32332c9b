// An Armis search page, fed in two pieces split where the input says, then
// each device mapped to an update as the adapter does.
#include "sync/adapters/armis/armis_mapping.hpp"
#include "sync/adapters/armis/armis_page.hpp"
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
  info.agent_id = "fuzz";
  info.timestamp = "2026-01-01T00:00:00Z";
  std::string body;
  sr::sync::armis::ArmisPageParser parser([&](sr::sync::armis::ArmisDevice& d) {
    auto gathered = sr::sync::armis::gather(std::move(d), "q");
    sr::sync::DeviceUpdate update;
    if (sr::sync::armis::to_update(std::move(gathered), info, update)) {
      body.clear();
      sr::sync::append_device_body(body, update);
    }
    return true;
  });
  sr::fuzz::feed_in_two(parser, *input);
  return 0;
}
