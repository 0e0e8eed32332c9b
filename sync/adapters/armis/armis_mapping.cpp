#include "sync/adapters/armis/armis_mapping.hpp"

#include "sync/device/address_text.hpp"

#include <algorithm>

namespace sr::sync::armis {

namespace {

void add_unique(std::vector<std::string>& to, std::string value) {
  if (!value.empty() && std::find(to.begin(), to.end(), value) == to.end())
    to.push_back(std::move(value));
}

void add_addresses(GatheredDevice& g, const ArmisDevice& d) {
  for_each_list_item(d.ip_address, [&](std::string_view item) {
    if (auto ip = canonical_ip(item)) add_unique(g.ips, std::move(*ip));
    return true;
  });
  if (g.mac.empty()) {
    for_each_list_item(d.mac_address, [&](std::string_view item) {
      auto mac = normalise_mac(item);
      if (mac) g.mac = std::move(*mac);
      return !mac;  // the first valid MAC is the device's
    });
  }
}

// Tags as Armis sent them, duplicates dropped in place (they rarely repeat).
void take_tags(std::vector<std::string>& into, std::vector<std::string>& tags) {
  if (into.empty()) {
    into = std::move(tags);
    std::erase(into, std::string());
    for (std::size_t i = 1; i < into.size(); ++i)
      if (std::find(into.begin(), into.begin() + static_cast<std::ptrdiff_t>(i), into[i]) !=
          into.begin() + static_cast<std::ptrdiff_t>(i))
        into.erase(into.begin() + static_cast<std::ptrdiff_t>(i--));
    return;
  }
  for (auto& t : tags) add_unique(into, std::move(t));
}

void fill(std::string& field, std::string& more) {
  if (field.empty()) field = std::move(more);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

}  // namespace

GatheredDevice gather(ArmisDevice&& device, std::string_view query_label) {
  GatheredDevice g;
  add_addresses(g, device);
  take_tags(g.tags, device.tags);
  add_unique(g.labels, std::string(query_label));
  device.ip_address.clear();
  device.mac_address.clear();
  device.tags.clear();
  g.raw = std::move(device);
  return g;
}

void merge(GatheredDevice& into, ArmisDevice&& more, std::string_view query_label) {
  add_addresses(into, more);
  take_tags(into.tags, more.tags);
  add_unique(into.labels, std::string(query_label));
  auto& r = into.raw;
  fill(r.name, more.name);
  fill(r.type, more.type);
  fill(r.category, more.category);
  fill(r.manufacturer, more.manufacturer);
  fill(r.model, more.model);
  fill(r.operating_system, more.operating_system);
  fill(r.boundaries, more.boundaries);
  fill(r.first_seen, more.first_seen);
  fill(r.last_seen, more.last_seen);
  r.risk_level = std::max(r.risk_level, more.risk_level);
}

bool to_update(GatheredDevice&& g, const RunInfo& info, DeviceUpdate& d) {
  if (g.ips.empty()) return false;
  auto& r = g.raw;
  stamp_update(d, info, g.ips.front(), "armis");
  d.mac = std::move(g.mac);
  d.hostname = std::move(r.name);
  d.confidence = 7;
  d.is_available = true;  // listed by Armis now; see "Identifiers and availability" in the README
  d.metadata.reserve(13);
  d.meta("integration_type", "armis");
  // The core's strong identifier for Armis devices, and what its Armis
  // write-back addresses: the raw Armis id. No integration_id: the core does
  // not scope it, so NetBox device 42 would become Armis device 42.
  if (r.id) d.meta("armis_device_id", std::to_string(*r.id));
  d.meta("armis_type", std::move(r.type));
  d.meta("armis_category", std::move(r.category));
  d.meta("manufacturer", std::move(r.manufacturer));
  d.meta("model", std::move(r.model));
  d.meta("operating_system", std::move(r.operating_system));
  d.meta("armis_boundaries", std::move(r.boundaries));
  if (r.risk_level > 0) d.meta("armis_risk_level", std::to_string(r.risk_level));
  d.meta("query_label", joined(g.labels));
  d.meta("armis_tags", joined(g.tags));
  if (g.ips.size() > 1) {
    d.meta("all_ips", joined(g.ips));
    d.meta("ip_count", std::to_string(g.ips.size()));
  }
  return true;
}

}  // namespace sr::sync::armis
