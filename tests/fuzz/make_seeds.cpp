// Seed corpora for the fuzz targets, from the same generators the tests and
// the demo use: Armis and NetBox pages exactly as tools/fake-inventory serves
// them, and the chunks an agent would send for those devices.
//   make_seeds OUT_DIR    writes OUT_DIR/<target>/<n> files
#include "sync/adapters/armis/armis_mapping.hpp"
#include "sync/adapters/armis/armis_page.hpp"
#include "sync/device/device_update.hpp"
#include "tools/fake-inventory/apis/armis_api.hpp"
#include "tools/fake-inventory/apis/netbox_api.hpp"

#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// The page targets take one leading byte: where the body is split in two (split_input.hpp).
std::string split_prefixed(const std::string& page) { return std::string(1, static_cast<char>(page.size() / 3)) + page; }

std::vector<std::string> netbox_pages(std::uint64_t devices, std::uint64_t page) {
  sr::fake::NetboxApiOptions o;
  o.inventory = {devices, 7, 0.05};
  o.token = "t";
  sr::fake::NetboxApi api(o);
  std::vector<std::string> pages;
  for (std::uint64_t offset = 0; offset < devices; offset += page)
    pages.push_back(api.handle({"GET", fmt::format("/api/dcim/devices/?limit={}&offset={}", page, offset), "",
                                {{"authorization", "Token t"}}})
                        .body);
  return pages;
}

// A StreamStatus results message for the devices of an Armis page.
std::string chunk_message(const std::string& page) {
  sr::sync::RunInfo info;
  info.partition = "default";
  info.agent_id = "agent-1";
  info.timestamp = "2026-01-01T00:00:00Z";
  std::string out = "[";
  sr::sync::armis::ArmisPageParser parser([&](sr::sync::armis::ArmisDevice& d) {
    sr::sync::DeviceUpdate u;
    if (!sr::sync::armis::to_update(sr::sync::armis::gather(std::move(d), "q"), info, u)) return true;
    if (out.size() > 1) out += ',';
    sr::sync::append_device_body(out, u);
    out += '}';
    return true;
  });
  parser.feed(page);
  parser.finish();
  return out + "]";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds OUT_DIR\n";
    return 64;
  }
  const fs::path out = argv[1];
  int n = 0;
  for (const auto& page : sr::fake::render_armis_pages(12, 7, 4)) {
    write(out / "fuzz_armis_page", fmt::format("fake-{}", n), split_prefixed(page));
    write(out / "fuzz_device_batch", fmt::format("fake-{}", n++), chunk_message(page));
  }
  n = 0;
  for (const auto& page : netbox_pages(12, 4)) write(out / "fuzz_netbox_page", fmt::format("fake-{}", n++), split_prefixed(page));
  std::cout << "make_seeds: wrote seeds under " << out.string() << "\n";
  return 0;
}
