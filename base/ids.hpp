// Random identifiers and seeds: run ids (UUID v4) and the seeds of the
// jittered backoffs. Not for secrets (keys and nonces use OpenSSL).
#pragma once

#include <cstdint>
#include <string>

namespace sr::base {

// 64 random bits from a per-thread generator seeded by std::random_device.
std::uint64_t random_u64();

// A random (version 4, variant 1) UUID in lower-case 8-4-4-4-12 form.
std::string new_uuid_v4();

}  // namespace sr::base
