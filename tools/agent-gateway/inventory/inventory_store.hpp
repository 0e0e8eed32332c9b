// The reference gateway's canonical device inventory: what the deployed
// core's sync ingestion makes of the device updates it receives, per tenant,
// in SQLite (WAL; one database file per gateway data directory; every row
// keyed by tenant, so nothing crosses tenants). The rules are the core's, as
// carverauto/serviceradar's elixir/serviceradar_core/lib/serviceradar/
// inventory/sync_ingestor.ex and identity_reconciler.ex state them (their
// function names in brackets); device_identity.hpp says what an update keeps.
//
// Picking the device of one update (resolve_device_id_cached):
//   0. a device_id "serviceradar:..." (a service component) names it;
//   1. else the first strong identifier, in priority order, already bound to a
//      device (key: kind, value, partition) names it;
//   2. else a device_id "sr:..." names it;
//   3. else the device holding the update's IP in the tenant, in any
//      partition (the core's IP lookup is not partition-scoped), if its id
//      is an "sr:" one;
//   4. else a new device, id deterministic_id().
// Active-IP uniqueness (the core's ocsf_devices_unique_active_ip_idx and
// recover_ip_conflict_and_retry / remap_records_to_existing_ip): when
// another device already holds the update's IP, the update goes to that
// device instead (counted in ip_remapped). So an IP names one device.
// Merging into it (device_upsert_update_query): ip, mac, hostname and name
// (hostname, else ip) are written over the stored ones when the update has
// them (a present empty string too: COALESCE only keeps the stored value for
// a missing field); metadata is merged key by key, the update's value winning
// (a key stays until a later update sends it with another value; nothing
// removes one); tags are written when the device is created and never after
// (the upsert's update list has no tags); available = the update's
// is_available (missing: false) over the stored value; the source joins the
// discovery sources (never removed); first seen kept, last seen advanced to
// the update's timestamp (the core stamps both with its ingest time instead).
// Then every strong identifier of the update is bound to the device,
// replacing a binding to another device (bulk_upsert_identifiers: on_conflict
// replace device_id), counted in rebound: re-bindings are what show wrong
// merges. Nothing is ever removed: the core has no retraction, and a
// metadata "_deleted": "true" is stored like any other key (is_deleted()
// reads it for display). Nothing here soft-deletes a device, so every device
// is active and every update would revive one.
//
// Simplifications: updates are reconciled one by one, in order, later ones
// seeing earlier ones. The core looks identifiers and IPs up once per batch
// of 500 before the batch, upserts one record per device (the batch's last
// update for it wins whole: earlier ones' metadata is lost), keeps the first
// binding of an identifier within a batch, and can fail the whole batch on
// an IP conflict arising inside it (its recovery only sees stored devices).
// Its alias handling (ip_alias keys, alias state, merges of alias devices
// after repeated sightings), classification and enrichment are not modelled.
//
// Storage: the schema is version 2 (PRAGMA user_version); a file of an older
// version (the stricter rules' store) is recreated empty when opened, since
// the data dir is a test and demo store.
#pragma once

#include "base/expected.hpp"
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

// A strong identifier bound to a device: the key is (kind, value, partition).
struct BoundIdentifier {
  IdKind kind;
  std::string value, partition;
  friend bool operator==(const BoundIdentifier&, const BoundIdentifier&) = default;
};

struct CanonicalDevice {
  std::string id, partition;  // partition: of the update that created it
  std::string ip, mac, hostname, name;
  std::map<std::string, std::string> metadata, tags;
  std::set<std::string> sources;  // discovery sources that ever reported it
  bool available = false;
  std::string first_seen, last_seen;
  std::vector<BoundIdentifier> identifiers;  // bound to it now, sorted
};

// For display only: the core has no deleted state from sync; an update with
// metadata "_deleted": "true" just leaves that key stored.
bool is_deleted(const CanonicalDevice& device);

struct ApplyResult {
  std::uint64_t created = 0, merged = 0;
  std::uint64_t rebound = 0;      // identifier bindings moved from one device to another
  std::uint64_t ip_remapped = 0;  // updates sent to the device holding their IP instead of the one picked
  ApplyResult& operator+=(const ApplyResult& o) {
    created += o.created;
    merged += o.merged;
    rebound += o.rebound;
    ip_remapped += o.ip_remapped;
    return *this;
  }
};

class InventoryStore {
 public:
  // `file` ":memory:" for a private in-memory database.
  static base::Expected<std::unique_ptr<InventoryStore>> open(const std::filesystem::path& file);
  ~InventoryStore();
  InventoryStore(const InventoryStore&) = delete;
  InventoryStore& operator=(const InventoryStore&) = delete;

  // Reconciles the updates in order, in one transaction (later updates see
  // earlier ones: see above). On error nothing of the batch is kept.
  base::Expected<ApplyResult> apply(const std::string& tenant, const std::vector<IncomingDevice>& batch);

  std::optional<CanonicalDevice> device(const std::string& tenant, const std::string& id) const;
  std::vector<CanonicalDevice> devices(const std::string& tenant) const;
  std::uint64_t count(const std::string& tenant) const;
  // Devices per discovery source (a device counts once for each source that ever reported it).
  std::map<std::string, std::uint64_t> counts_by_source(const std::string& tenant) const;
  std::vector<std::string> tenants() const;

  struct TenantSummary {
    std::uint64_t devices = 0;
    std::uint64_t unavailable = 0;  // is_available false
    std::uint64_t deleted = 0;      // metadata _deleted is "true" (is_deleted)
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
