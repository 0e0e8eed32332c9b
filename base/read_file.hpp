// Small files read whole: certificates, keys, bootstrap JSON, the config cache.
// Capped, so a wrong path (a device, a log file, a disk image) cannot take the
// agent's memory with it.
#pragma once

#include "base/expected.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace sr::base {

inline constexpr std::uintmax_t kMaxSmallFileBytes = 16u << 20;

// The whole file, or why not: "<path>: cannot open (No such file or
// directory)", "<path>: larger than the 16 MiB a configuration file may be".
Expected<std::string> read_small_file(const std::filesystem::path& path,
                                      std::uintmax_t max_bytes = kMaxSmallFileBytes);

// The whole file, or nullopt when it cannot be read (or is over the cap).
std::optional<std::string> read_file(const std::filesystem::path& path);

// The whole file; throws std::runtime_error with read_small_file's reason
// (for start-up, where a missing file ends the process with that message).
std::string read_file_or_throw(const std::filesystem::path& path);

}  // namespace sr::base
