// The reference gateway's canonical device inventory: what the core's
// identity reconciliation makes of the device updates it receives, per
// tenant, in SQLite (WAL; one database file per gateway data directory;
// every row keyed by tenant, so nothing crosses tenants).
//
// Reconciliation of one update (device_identity.hpp names the identifiers):
//   1. the first strong identifier already known in the tenant names the
//      device; identifiers bound to another device are left there (counted
//      as conflicts): two existing devices are never merged;
//   2. else the device with the update's IP in the same partition (the most
//      recently seen one), unless it already carries a different identifier
//      of a kind the update also has (a re-used IP is a new device);
//   3. else a new device, id deterministic_id().
// A merge keeps the richer record: non-empty fields overwrite, metadata
// merges, discovery sources are united, first seen kept, last seen advanced.
// A retraction (_deleted) removes its source from the device; with no source
// left the device is unavailable, never erased. A retraction of an unknown
// device is ignored.
#pragma once

#include "net/expected.hpp"
#include "tools/agent-gateway/inventory/device_identity.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sr::gateway::inventory {

struct CanonicalDevice {
  std::string id, partition, ip, mac, hostname;
  std::map<std::string, std::string> metadata;
  std::set<std::string> sources;    // discovery sources that report it now
  std::set<std::string> retracted;  // sources that said it is gone
  bool available = true;
  std::string first_seen, last_seen;
  std::vector<Identifier> identifiers;  // strong identifiers bound to it
};

struct ApplyResult {
  std::uint64_t created = 0, merged = 0, retracted = 0, retractions_ignored = 0, conflicts = 0;
};

class InventoryStore {
 public:
  // `file` ":memory:" for a private in-memory database.
  static net::Expected<std::unique_ptr<InventoryStore>> open(const std::filesystem::path& file);
  ~InventoryStore();
  InventoryStore(const InventoryStore&) = delete;
  InventoryStore& operator=(const InventoryStore&) = delete;

  // Reconciles the updates in order, in one transaction (later updates see
  // earlier ones). On error nothing of the batch is kept.
  net::Expected<ApplyResult> apply(const std::string& tenant, const std::vector<IncomingDevice>& batch);

  std::optional<CanonicalDevice> device(const std::string& tenant, const std::string& id) const;
  std::vector<CanonicalDevice> devices(const std::string& tenant) const;
  std::uint64_t count(const std::string& tenant) const;
  // Devices per discovery source (a device counts once for each source reporting it).
  std::map<std::string, std::uint64_t> counts_by_source(const std::string& tenant) const;
  std::vector<std::string> tenants() const;

  struct TenantSummary {
    std::uint64_t devices = 0;
    std::map<std::string, std::uint64_t> by_source;
  };
  // Every tenant's counts from one snapshot (one read transaction), so the
  // figures agree with each other while a writer commits.
  std::map<std::string, TenantSummary> summary() const;

 private:
  struct Impl;
  explicit InventoryStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sr::gateway::inventory
