#include "sync/adapters/netbox/netbox_encode.hpp"

#include "sync/adapters/body_writer.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"
#include "sync/device/address_text.hpp"

namespace sr::sync::netbox {

bool encode_device(const NetboxDevice& d, const RunInfo& info, EncodedBatch& out) {
  auto ip = ip_of_cidr(d.primary_ip4);
  if (!ip) ip = ip_of_cidr(d.primary_ip6);
  if (!ip) return false;
  auto& text = out.text();
  BodyHead head;
  head.ip = *ip;
  head.hostname = d.name;
  head.source = "netbox";
  head.available = available_by_status(d.status);  // as to_update
  const auto ip_at = append_body_head(text, info, head);
  MetadataWriter meta(text);
  meta.add("integration_type", "netbox");
  if (d.id) meta.add("netbox_device_id", *d.id);
  meta.add("device_role", d.role);
  meta.add("site", d.site);
  meta.add("manufacturer", d.manufacturer);
  meta.add("model", d.model);
  meta.add("status", d.status);
  meta.add("serial", d.serial);
  meta.add("_deleted", "false");  // see to_update: the core never drops a metadata key
  meta.finish();
  out.seal(ip_at, ip->size(), d.id);
  return true;
}

}  // namespace sr::sync::netbox
