// An Armis search page, fed in two pieces split where the input says, then
// each device mapped to an update as the adapter does.
#include "sync/adapters/armis/armis_mapping.hpp"
#include "sync/adapters/armis/armis_page.hpp"
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
  if (parser.feed(all.substr(0, cut)).empty() && parser.feed(all.substr(cut)).empty()) (void)parser.finish();
  return 0;
}
