// A synthetic inventory, deterministic by seed: device i of epoch e is the
// same on every machine and every call, computed on demand, so a
// five-million-device inventory costs no memory. It is the faker source's
// data and, in tools/, what the fake Armis and NetBox servers serve.
//
// Shape (integrations.md, "Faker"): one IP per device by index (device i
// takes IP slot first_slot + i; slot 0 = 172.16.0.1, continuing in
// 10.0.0.0/8 past the /12, kSlotCount slots in all), names like
// FAKER-<MANUFACTURER>-<TYPE>-<NNNNN>, 1..200 MACs (most devices 1..3), tags.
// Two inventories with different first_slot describe different boxes with
// the same ids 1..N (and the same names, MACs, tags: those follow the index).
// Churn: from epoch 1 on, pairs of neighbouring devices swap IPs, a `churn`
// share of them per epoch; swaps stay inside the inventory's own slots, so
// IPs stay unique.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sr::contract::faker {

struct InventoryOptions {
  std::uint64_t total_devices = 50'000;
  std::uint64_t seed = 1;
  double churn = 0.05;  // share of devices that change IP per epoch
  std::uint64_t first_slot = 0;  // device i has IP slot first_slot + i
};

// IP slots: 172.16.0.1 .. 172.31.255.254, then 10.0.0.1 .. 10.255.255.254.
inline constexpr std::uint64_t kSlotCount = ((std::uint64_t{1} << 20) - 2) + ((std::uint64_t{1} << 24) - 2);

// "" when every device of `options` has a slot, else why not (naming the numbers).
std::string check_slots(const InventoryOptions& options);

struct FakeDevice {
  std::uint64_t id = 0;  // index + 1, like an Armis id
  std::string ip;
  std::vector<std::string> macs;  // "AA:BB:CC:DD:EE:FF"
  std::string name, type, category, manufacturer, model, os, boundaries;
  std::vector<std::string> tags;
  int risk_level = 0;
};

class Inventory {
 public:
  explicit Inventory(InventoryOptions options);

  std::uint64_t size() const noexcept { return options_.total_devices; }
  std::uint64_t first_slot() const noexcept { return options_.first_slot; }
  // Device `index` (0-based) as it looks in `epoch`; `with_all_macs` false
  // generates only the first MAC (what the faker source sends).
  FakeDevice device(std::uint64_t index, std::uint64_t epoch, bool with_all_macs = true) const;
  // Throws std::out_of_range when the slot is past the last (see check_slots).
  std::string ip_of(std::uint64_t index, std::uint64_t epoch) const;
  std::size_t mac_count(std::uint64_t index) const;

 private:
  std::uint64_t hash(std::uint64_t a, std::uint64_t b) const noexcept;
  std::uint64_t first_mac_bits(std::uint64_t index) const noexcept;
  InventoryOptions options_;
};

// "172.16.0.1" for slot 0; throws std::out_of_range (naming the slot) from
// kSlotCount on, rather than wrapping into other networks.
std::string slot_ip(std::uint64_t slot);

}  // namespace sr::contract::faker
