// A NetBox device written straight into an EncodedBatch as its chunk body,
// from the parser's fields: the bytes append_device_body writes for
// to_update(device), without the DeviceUpdate.
#pragma once

#include "sync/adapters/adapter.hpp"
#include "sync/adapters/netbox/netbox_page.hpp"
#include "sync/pipeline/encoded_batch.hpp"

namespace sr::sync::netbox {

// False (nothing appended) when the device has neither a usable primary_ip4
// nor primary_ip6, exactly when to_update would skip it. The entry's record
// id is the NetBox id (what a run remembers for retractions, with ip()).
bool encode_device(const NetboxDevice& d, const RunInfo& info, EncodedBatch& out);

}  // namespace sr::sync::netbox
