#include "tools/agent-gateway/inventory/device_identity.hpp"

#include "contract/device_json.hpp"

#include <boost/json/object.hpp>
#include <openssl/evp.h>

#include <array>
#include <cctype>

namespace sr::gateway::inventory {

namespace json = boost::json;

std::string_view kind_name(IdKind kind) {
  switch (kind) {
    case IdKind::agent_id: return "agent_id";
    case IdKind::armis_device_id: return "armis_device_id";
    case IdKind::integration_id: return "integration_id";
    case IdKind::netbox_device_id: return "netbox_device_id";
    case IdKind::mac: return "mac";
  }
  return "?";
}

namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string trim(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The core's get_string: a JSON string, trimmed; anything else is absent.
std::optional<std::string> string_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return trim(v->get_string());
}

std::map<std::string, std::string> string_map(const json::object& o, std::string_view key) {
  std::map<std::string, std::string> out;
  if (const auto* m = o.if_contains(key); m && m->is_object())
    for (const auto& [k, v] : m->get_object())
      if (v.is_string()) out.emplace(std::string(k), std::string(v.get_string()));
  return out;
}

const std::string& meta(const IncomingDevice& d, const std::string& key) {
  static const std::string none;
  auto it = d.metadata.find(key);
  return it == d.metadata.end() ? none : it->second;
}

// sync_ingestor.ex mapper_like_source?/1: the update's agent_id names the
// scanner, not the device, and its MACs may be any interface's.
bool mapper_like(const IncomingDevice& d) {
  const auto source = lower(d.source);
  const auto identity = lower(meta(d, "identity_source"));
  return source == "mapper" || source == "sweep" || source == "network_discovery" ||
         identity == "mapper_ip_seed" || identity == "mapper_primary_mac_seed";
}

void collect_identifiers(IncomingDevice& d) {
  auto add = [&](IdKind kind, std::string value) {
    if (!value.empty()) d.strong.push_back({kind, std::move(value)});
  };
  const bool mapper = mapper_like(d);
  if (!mapper) add(IdKind::agent_id, trim(meta(d, "agent_id")));
  add(IdKind::armis_device_id, trim(meta(d, "armis_device_id")));
  // Whatever integration_type says: identity_reconciler.ex get_integration_id/1.
  add(IdKind::integration_id, trim(meta(d, "integration_id")));
  add(IdKind::netbox_device_id, trim(meta(d, "netbox_device_id")));
  if (d.mac) add(IdKind::mac, mac_key(*d.mac));
  if (mapper) {
    const auto kind = lower(meta(d, "identity_mac_kind"));
    d.mac_binds = kind == "primary" || kind == "management" || kind == "chassis";
  }
}

}  // namespace

std::string mac_key(std::string_view mac) {
  std::string out;
  for (char c : trim(mac)) {
    if (c == ':' || c == '-' || c == '.') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<IncomingDevice> incoming_device(const json::object& o, std::string& error) {
  namespace key = contract::device_key;  // the keys the agent writes
  IncomingDevice d;
  d.ip = string_of(o, key::ip).value_or("");
  if (d.ip.empty()) {
    error = "device without \"ip\"";
    return std::nullopt;
  }
  d.device_id = string_of(o, key::device_id).value_or("");
  // Only a missing (or non-string) partition is "default": the core keeps an empty one.
  if (auto p = string_of(o, key::partition)) d.partition = std::move(*p);
  d.mac = string_of(o, key::mac);
  d.hostname = string_of(o, key::hostname);
  if (auto s = string_of(o, key::source); s && !s->empty()) d.source = std::move(*s);
  d.timestamp = string_of(o, key::timestamp).value_or("");
  // Elixir truthiness (sync_ingestor.ex get_bool/2): every value but nil and
  // false is true, so "is_available":"false" or 0 reads as available.
  if (const auto* a = o.if_contains(key::is_available))
    d.available = !a->is_null() && !(a->is_bool() && !a->get_bool());
  d.metadata = string_map(o, key::metadata);
  if (const auto* s = o.if_contains(key::sync_meta); s && s->is_object())
    if (const auto* id = s->get_object().if_contains(contract::sync_meta_key::sync_service_id); id && id->is_string())
      d.metadata.emplace(contract::sync_meta_key::sync_service_id, std::string(id->get_string()));  // only if metadata has none
  d.tags = string_map(o, key::tags);
  collect_identifiers(d);
  return d;
}

std::string deterministic_id(const IncomingDevice& d) {
  // identity_reconciler.ex ids_get_partition/1: an empty partition seeds as "default".
  std::string input = "serviceradar-device-v3:partition:" + (d.partition.empty() ? "default" : d.partition) + ":";
  static constexpr std::array<std::string_view, 5> kSeed = {"agent", "armis", "integration", "netbox", "mac"};
  for (const auto& id : d.strong) input += std::string(kSeed[static_cast<std::size_t>(id.kind)]) + ":" + id.value;
  if (d.strong.empty()) input += "ip:" + d.ip;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &len, EVP_sha256(), nullptr);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x40);  // version 4
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "sr:";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace sr::gateway::inventory
