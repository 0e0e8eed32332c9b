#include "tools/agent-gateway/inventory/device_identity.hpp"

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

std::optional<std::string> mac_key(std::string_view mac) {
  std::string out;
  for (char c : mac) {
    if (c == ':' || c == '-' || c == '.') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)) || out.size() == 12) return std::nullopt;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (out.size() != 12 || out == "000000000000" || out == "FFFFFFFFFFFF") return std::nullopt;
  return out;
}

bool locally_administered(std::string_view key) {
  if (key.size() < 2) return false;
  const char c = key[1];
  const int nibble = c <= '9' ? c - '0' : c - 'A' + 10;
  return (nibble & 0x2) != 0;
}

namespace {

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

const std::string& meta(const IncomingDevice& d, const std::string& key) {
  static const std::string none;
  auto it = d.metadata.find(key);
  return it == d.metadata.end() ? none : it->second;
}

void collect_identifiers(IncomingDevice& d) {
  auto add = [&](IdKind kind, std::string value) {
    if (!value.empty()) d.strong.push_back({kind, std::move(value)});
  };
  add(IdKind::agent_id, meta(d, "agent_id"));
  add(IdKind::armis_device_id, meta(d, "armis_device_id"));
  if (const auto& id = meta(d, "integration_id"); !id.empty()) {
    // Armis and NetBox both number from 1: the integration scopes the id.
    const auto& type = meta(d, "integration_type");
    add(IdKind::integration_id, (type.empty() ? d.source : type) + ":" + id);
  }
  add(IdKind::netbox_device_id, meta(d, "netbox_device_id"));
  if (auto key = mac_key(d.mac); key && !locally_administered(*key)) add(IdKind::mac, *key);
}

}  // namespace

std::optional<IncomingDevice> incoming_device(const json::object& o, std::string& error) {
  IncomingDevice d;
  d.ip = text_of(o, "ip");
  if (d.ip.empty()) {
    error = "device without \"ip\"";
    return std::nullopt;
  }
  if (auto p = text_of(o, "partition"); !p.empty()) d.partition = std::move(p);
  d.mac = text_of(o, "mac");
  d.hostname = text_of(o, "hostname");
  d.source = text_of(o, "source");
  d.timestamp = text_of(o, "timestamp");
  if (const auto* a = o.if_contains("is_available"); a && a->is_bool()) d.available = a->get_bool();
  if (const auto* m = o.if_contains("metadata"); m && m->is_object())
    for (const auto& [k, v] : m->get_object())
      if (v.is_string()) d.metadata.emplace(std::string(k), std::string(v.get_string()));
  d.retraction = meta(d, "_deleted") == "true";
  d.metadata.erase("_deleted");  // a signal, not a property of the device
  collect_identifiers(d);
  return d;
}

std::string deterministic_id(const IncomingDevice& d) {
  std::string input = "partition=" + d.partition;
  for (const auto& id : d.strong) input += "\n" + std::string(kind_name(id.kind)) + "=" + id.value;
  if (d.strong.empty()) input += "\nip=" + d.ip;  // only the weak one: the IP names it
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &len, EVP_sha256(), nullptr);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x80);  // version 8: custom (RFC 9562)
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);  // variant 10
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
