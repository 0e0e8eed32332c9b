// Small files read whole: certificates, keys, bootstrap JSON.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace sr::net {

// The whole file, or nullopt when it cannot be opened or read.
std::optional<std::string> read_file(const std::filesystem::path& path);

// The whole file; throws std::runtime_error naming the path otherwise (for
// start-up, where a missing file ends the process with that message).
std::string read_file_or_throw(const std::filesystem::path& path);

}  // namespace sr::net
