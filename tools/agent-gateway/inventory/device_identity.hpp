// What the deployed core makes of one device update before reconciling it,
// as its code states it (carverauto/serviceradar, elixir/serviceradar_core/
// lib/serviceradar/inventory/: sync_ingestor.ex normalize_update/1 and
// effective_identifiers/1, identity_reconciler.ex extract_strong_identifiers/1,
// normalize_mac/1 and generate_deterministic_device_id/1):
//
// - Of a device object only device_id, ip, mac, hostname, partition,
//   metadata, sync_meta (its sync_service_id is copied into metadata when
//   metadata has none), tags, timestamp, is_available and source are read;
//   a top-level agent_id is dropped. Strings are trimmed.
// - Strong identifiers, highest priority first, each keyed by (kind, value,
//   partition) within a tenant: metadata agent_id, armis_device_id,
//   integration_id (NOT scoped by integration type or source: Armis device 42
//   and NetBox device 42 are one identifier), netbox_device_id, and the MAC
//   (upper case, ':' '-' '.' removed; no validity check, locally administered
//   MACs identify like any other). Empty values are absent. The IP is weak;
//   the hostname never identifies.
// - A mapper-like update (source mapper/sweep/network_discovery, or metadata
//   identity_source mapper_ip_seed/mapper_primary_mac_seed) has no agent_id
//   identifier, and its MAC is neither looked up nor bound unless metadata
//   identity_mac_kind is primary/management/chassis (it still seeds the id).
// - New devices get "sr:" + a UUID from SHA-256 over
//   "serviceradar-device-v3:partition:<p>:" + "agent:<v>" "armis:<v>"
//   "integration:<v>" "netbox:<v>" "mac:<v>" (those present, in that order,
//   no separator), or "...:partition:<p>:ip:<ip>" with no strong identifier.
//
// Differences, on purpose: an update without an IP is refused here (the core
// would take it); only string metadata and tag values are kept; whitespace is
// ASCII whitespace and upper case is ASCII upper case; the core's enrichment
// (classification, ip_alias keys, SNMP fingerprints) is not done.
#pragma once

#include <boost/json/fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::gateway::inventory {

// Strong identifier kinds, highest priority first.
enum class IdKind { agent_id, armis_device_id, integration_id, netbox_device_id, mac };
std::string_view kind_name(IdKind kind);

// An identifier of an update; its partition is the update's.
struct Identifier {
  IdKind kind;
  std::string value;  // trimmed, never empty; mac: normalised (mac_key)
  friend bool operator==(const Identifier&, const Identifier&) = default;
};

// One device update, reduced to what the core reads.
struct IncomingDevice {
  std::string device_id;  // as sent, trimmed: "sr:..." and "serviceradar:..." take part in picking the device
  std::string partition = "default";
  std::string ip;                 // never empty (see incoming_device)
  // Trimmed; when present (a JSON string) written over the stored value, even if empty.
  std::optional<std::string> mac, hostname;
  std::string source = "unknown";  // trimmed; missing or empty: "unknown"
  std::string timestamp;
  // JSON true, or anything else that is neither null nor false: Elixir reads
  // every value other than nil and false as true, so the string "false" or
  // the number 0 means available. Missing, null or false: false.
  bool available = false;
  std::map<std::string, std::string> metadata;  // string values only (the contract sends strings)
  std::map<std::string, std::string> tags;      // string values only
  std::vector<Identifier> strong;  // effective strong identifiers, priority order, each kind at most once
  bool mac_binds = true;           // false: the MAC (if any) seeds the id but is neither looked up nor bound
};

// The core's normalize_mac: trimmed, upper case, ':' '-' '.' removed; "" -> none.
std::string mac_key(std::string_view mac);

// From one device object of a chunk; an update without an IP is an error naming the field.
std::optional<IncomingDevice> incoming_device(const boost::json::object& device, std::string& error);

// The core's generate_deterministic_device_id for this update (format above).
std::string deterministic_id(const IncomingDevice& device);

}  // namespace sr::gateway::inventory
