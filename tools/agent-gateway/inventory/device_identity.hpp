// What identifies a device update, as the core's identity reconciliation
// sees it: strong identifiers in priority order (metadata agent_id, Armis id,
// integration id scoped by its integration, NetBox id, a globally unique
// MAC), then the IP as a weak one. Hostnames never identify.
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

struct Identifier {
  IdKind kind;
  std::string value;  // integration_id: "<integration_type>:<id>"; mac: 12 upper-case hex digits
  friend bool operator==(const Identifier&, const Identifier&) = default;
};

// One device update, reduced to what reconciliation and the canonical record use.
struct IncomingDevice {
  std::string partition = "default";
  std::string ip, mac, hostname, source, timestamp;
  std::optional<bool> available;
  std::map<std::string, std::string> metadata;  // string values only, as the contract sends them
  std::vector<Identifier> strong;               // in priority order, each kind at most once
  bool retraction = false;                      // metadata._deleted == "true"
};

// "aa:bb:cc:dd:ee:ff", "AA-BB-...", "aabb.ccdd.eeff" -> "AABBCCDDEEFF"; else none.
std::optional<std::string> mac_key(std::string_view mac);
// Second-lowest bit of the first octet: randomised and virtual MACs, not stable identities.
bool locally_administered(std::string_view mac_key);

// From one device object of a chunk; an update without an IP is an error naming the field.
std::optional<IncomingDevice> incoming_device(const boost::json::object& device, std::string& error);

// "sr:" + a UUID (version 8) from SHA-256 over the partition and the
// identifiers present: the same input always gives the same id.
std::string deterministic_id(const IncomingDevice& device);

}  // namespace sr::gateway::inventory
