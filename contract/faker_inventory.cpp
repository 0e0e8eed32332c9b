#include "contract/faker_inventory.hpp"

#include "base/splitmix.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>
#include <string_view>

namespace sr::contract::faker {

namespace {

constexpr std::array<std::string_view, 12> kManufacturers = {
    "CISCO", "ARUBA", "JUNIPER", "DELL", "HP", "LENOVO", "APPLE", "SAMSUNG", "AXIS", "HONEYWELL", "SIEMENS", "PHILIPS"};
constexpr std::array<std::string_view, 10> kTypes = {
    "SWITCH", "ROUTER", "LAPTOP", "SERVER", "PHONE", "CAMERA", "PRINTER", "PLC", "THERMOSTAT", "INFUSION-PUMP"};
constexpr std::array<std::string_view, 10> kCategories = {
    "Network Equipment", "Network Equipment", "Computers", "Computers", "Handhelds",
    "IoT", "Printers", "Industrial", "Building Automation", "Medical"};
constexpr std::array<std::string_view, 6> kOs = {
    "IOS XE 17.9", "Windows 11", "Ubuntu 22.04", "iOS 17", "Android 14", "Embedded Linux"};
constexpr std::array<std::string_view, 8> kTags = {
    "managed", "corporate", "guest", "ot", "critical", "byod", "lab", "pci"};
constexpr std::array<std::string_view, 4> kBoundaries = {"Corporate", "Guest", "OT", "Lab"};
constexpr std::uint64_t kSlots172 = (1u << 20) - 2;  // 172.16.0.1 .. 172.31.255.254
static_assert(kSlotCount - kSlots172 == (1u << 24) - 2);  // 10.0.0.1 .. 10.255.255.254

std::string mac_text(std::uint64_t bits) {
  return fmt::format("{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", 0x02u,  // locally administered
                     (bits >> 32) & 0xFF, (bits >> 24) & 0xFF, (bits >> 16) & 0xFF,
                     (bits >> 8) & 0xFF, bits & 0xFF);
}

}  // namespace

std::string check_slots(const InventoryOptions& options) {
  if (options.first_slot > kSlotCount || options.total_devices > kSlotCount - options.first_slot)
    return fmt::format("{} devices from IP slot {} do not fit: there are {} slots "
                       "(172.16.0.0/12 and 10.0.0.0/8)",
                       options.total_devices, options.first_slot, kSlotCount);
  return {};
}

std::string slot_ip(std::uint64_t slot) {
  if (slot >= kSlotCount)
    throw std::out_of_range(fmt::format("faker IP slot {} is out of range: there are {} slots "
                                        "(172.16.0.0/12 and 10.0.0.0/8)",
                                        slot, kSlotCount));
  std::uint64_t addr;
  if (slot < kSlots172) addr = (172ull << 24 | 16ull << 16) + slot + 1;
  else addr = (10ull << 24) + (slot - kSlots172) + 1;
  return fmt::format("{}.{}.{}.{}", (addr >> 24) & 0xFF, (addr >> 16) & 0xFF, (addr >> 8) & 0xFF, addr & 0xFF);
}

Inventory::Inventory(InventoryOptions options) : options_(options) {}

std::uint64_t Inventory::hash(std::uint64_t a, std::uint64_t b) const noexcept {
  return base::splitmix(base::splitmix(options_.seed ^ (a * 0x100000001B3ull)) ^ b);
}

std::string Inventory::ip_of(std::uint64_t index, std::uint64_t epoch) const {
  std::uint64_t taken = index;
  const std::uint64_t partner = index ^ 1;
  if (epoch > 0 && partner < options_.total_devices) {
    const double draw = static_cast<double>(hash(epoch, index / 2) >> 11) * 0x1.0p-53;
    if (draw < options_.churn) taken = partner;
  }
  if (options_.first_slot >= kSlotCount || taken >= kSlotCount - options_.first_slot)
    throw std::out_of_range(fmt::format("faker device {} has no IP slot: {} devices from slot {} "
                                        "do not fit the {} slots",
                                        index, options_.total_devices, options_.first_slot,
                                        kSlotCount));
  return slot_ip(options_.first_slot + taken);
}

// A bijection of the index on 40 bits (an offset by seed, a multiplication by
// an odd number and a xor-shift, each invertible): the first MACs of one
// inventory never repeat, as a real fleet's do not. The platform identifies
// devices by MAC; random ones met by the birthday bound (two of a million
// devices shared one and were merged).
std::uint64_t Inventory::first_mac_bits(std::uint64_t index) const noexcept {
  constexpr std::uint64_t kMask = (1ull << 40) - 1;
  std::uint64_t x = (index + base::splitmix(options_.seed)) & kMask;
  x = (x * 0x9E3779B97Full) & kMask;
  return x ^ (x >> 21);
}

std::size_t Inventory::mac_count(std::uint64_t index) const {
  const auto h = hash(index, 0xC0FFEE);
  // Most devices have 1..3 interfaces; one in twenty is a hub with up to 200.
  return (h % 20 == 0) ? 1 + (h >> 8) % 200 : 1 + (h >> 8) % 3;
}

FakeDevice Inventory::device(std::uint64_t index, std::uint64_t epoch, bool with_all_macs) const {
  const auto h = hash(index, 0);
  FakeDevice d;
  d.id = index + 1;
  d.ip = ip_of(index, epoch);
  const auto kind = h % kTypes.size();
  d.type = kTypes[kind];
  d.category = kCategories[kind];
  d.manufacturer = kManufacturers[(h >> 8) % kManufacturers.size()];
  d.model = fmt::format("{}-{}", d.manufacturer.substr(0, 3), 1000 + (h >> 16) % 9000);
  d.os = kOs[(h >> 24) % kOs.size()];
  d.boundaries = kBoundaries[(h >> 28) % kBoundaries.size()];
  d.name = fmt::format("FAKER-{}-{}-{:05}", d.manufacturer, d.type, index);
  d.risk_level = static_cast<int>((h >> 32) % 100);
  const auto macs = with_all_macs ? mac_count(index) : 1;
  d.macs.reserve(macs);
  d.macs.push_back(mac_text(first_mac_bits(index)));
  for (std::size_t m = 1; m < macs; ++m) d.macs.push_back(mac_text(hash(index, 0xAC + m)));
  for (std::size_t t = 0; t < kTags.size(); ++t)
    if ((h >> (40 + t)) & 1) d.tags.emplace_back(kTags[t]);
  return d;
}

}  // namespace sr::contract::faker
