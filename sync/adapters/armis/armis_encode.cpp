#include "sync/adapters/armis/armis_encode.hpp"

#include "sync/adapters/body_writer.hpp"
#include "sync/device/address_text.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace sr::sync::armis {

namespace {

// The device's first valid IP (canonical) and whether items follow it.
struct FirstIp {
  std::optional<std::string> ip;  // IPv4 fits the string's own buffer: no allocation
  bool more = false;
};

FirstIp first_ip(std::string_view list) {
  FirstIp f;
  for_each_list_item(list, [&](std::string_view item) {
    if (f.ip) {
      f.more = true;
      return false;
    }
    f.ip = canonical_ip(item);
    return true;
  });
  return f;
}

std::optional<std::string> first_mac(std::string_view list) {
  std::optional<std::string> mac;
  for_each_list_item(list, [&](std::string_view item) {
    mac = normalise_mac(item);
    return !mac;
  });
  return mac;
}

// True when `list` (items joined by ',') holds `item`.
bool listed(std::string_view list, std::string_view item) {
  bool found = false;
  for_each_list_item(list, [&](std::string_view i) {
    found = i == item;
    return !found;
  });
  return found;
}

// ,"all_ips":"a,b","ip_count":"2" when the device has more than one unique
// IP (gather keeps them in order of appearance); nothing otherwise.
void add_all_ips(MetadataWriter& meta, std::string& out, std::string_view ip_list) {
  const auto rollback = out.size();
  meta.key("all_ips");
  const auto from = out.size() + 1;  // past the opening quote
  std::int64_t count = 0;
  for_each_list_item(ip_list, [&](std::string_view item) {
    auto ip = canonical_ip(item);
    if (!ip || (count > 0 && listed(std::string_view(out).substr(from, out.size() - 1 - from), *ip))) return true;
    meta.item(*ip, count++ == 0);
    return true;
  });
  if (count < 2) {
    out.resize(rollback);  // the metadata is open already: integration_type comes first
    return;
  }
  meta.add("ip_count", count);
}

// ,"armis_tags":"a,b": the non-empty tags, each once, in order.
void add_tags(MetadataWriter& meta, const std::vector<std::string>& tags) {
  const auto present = [](const std::string& t) { return !t.empty(); };
  if (std::none_of(tags.begin(), tags.end(), present)) return;
  meta.key("armis_tags");
  bool first = true;
  for (auto it = tags.begin(); it != tags.end(); ++it) {
    if (it->empty() || std::find(tags.begin(), it, *it) != it) continue;
    meta.item(*it, first);
    first = false;
  }
}

void add_metadata(std::string& out, const ArmisDevice& d, std::string_view query_label, bool more_ips) {
  MetadataWriter meta(out);
  meta.add("integration_type", "armis");
  if (d.id) meta.add("armis_device_id", *d.id);
  meta.add("armis_type", d.type);
  meta.add("armis_category", d.category);
  meta.add("manufacturer", d.manufacturer);
  meta.add("model", d.model);
  meta.add("operating_system", d.operating_system);
  meta.add("armis_boundaries", d.boundaries);
  if (d.risk_level > 0) meta.add("armis_risk_level", d.risk_level);
  meta.add("query_label", query_label);
  add_tags(meta, d.tags);
  if (more_ips) add_all_ips(meta, out, d.ip_address);
  meta.finish();
}

}  // namespace

bool encode_device(const ArmisDevice& d, std::string_view query_label, const RunInfo& info, EncodedBatch& out) {
  const auto ip = first_ip(d.ip_address);
  if (!ip.ip) return false;
  const auto mac = first_mac(d.mac_address);
  auto& text = out.text();
  BodyHead head;
  head.ip = *ip.ip;
  if (mac) head.mac = *mac;
  head.hostname = d.name;
  head.source = "armis";
  const auto ip_at = append_body_head(text, info, head);
  add_metadata(text, d, query_label, ip.more);
  out.seal(ip_at, ip.ip->size(), d.id);
  return true;
}

}  // namespace sr::sync::armis
