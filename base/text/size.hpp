// Byte sizes as operators write them: "3145728", "512KB", "3MiB", "2g".
// Units are 1024-based whatever the spelling (K, KB, KiB; M, MB, MiB; G, GB,
// GiB; B), in any case. No spaces: "3 MB" and " 3MB" are not sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sr::base {

// The size in bytes; nullopt if it is not a size or overflows 64 bits.
std::optional<std::uint64_t> parse_size_text(std::string_view text);

}  // namespace sr::base
