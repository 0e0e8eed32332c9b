// The `faker` source type: the synthetic inventory mapped with Armis-like
// fields, page by page, with churn between runs (epoch = run number). It
// reports itself as source "integration" and claims no Armis identifier.
#pragma once

#include "sync/adapters/adapter.hpp"
#include "contract/faker_inventory.hpp"

namespace sr::sync::faker {

// The synthetic inventory is contract data (the fake APIs render it too).
using contract::faker::FakeDevice;
using contract::faker::Inventory;
using contract::faker::InventoryOptions;

struct FakerSourceOptions {
  InventoryOptions inventory;
  std::size_t page_size = 1000;
};

// Reads total_devices, seed, churn, first_slot and page_size from the
// source's keys or credentials; errors name the key.
base::Expected<FakerSourceOptions> faker_options(const SourceConfig& source);

class FakerSource final : public Adapter {
 public:
  FakerSource(const SourceConfig& source, FakerSourceOptions options);
  boost::asio::awaitable<RunOutcome> run(const RunInfo& info, DeviceSink& sink) override;

  // One device as the faker source sends it.
  static void map(FakeDevice raw, const RunInfo& info, DeviceUpdate& out);
  // The same device's chunk body, written straight into `out` (what a run
  // sends: no DeviceUpdate per device); the bytes of map + append_device_body.
  static void encode(const FakeDevice& raw, const RunInfo& info, EncodedBatch& out);

 private:
  std::string name_;
  FakerSourceOptions options_;
  Inventory inventory_;
};

}  // namespace sr::sync::faker
