// An Armis device written straight into an EncodedBatch as its chunk body,
// from the parser's fields: the bytes append_device_body writes for
// to_update(gather(device, query_label)), without the GatheredDevice and the
// DeviceUpdate. For a device only one query saw (a single-query run): a
// device several queries match still goes through gather and merge.
#pragma once

#include "sync/adapters/adapter.hpp"
#include "sync/adapters/armis/armis_page.hpp"
#include "sync/pipeline/encoded_batch.hpp"

#include <string_view>

namespace sr::sync::armis {

// False (nothing appended) when the device has no valid IP, exactly when
// to_update would skip it. The entry's record id is the Armis id.
bool encode_device(const ArmisDevice& d, std::string_view query_label, const RunInfo& info, EncodedBatch& out);

}  // namespace sr::sync::armis
