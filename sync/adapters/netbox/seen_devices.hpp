// The NetBox devices a source's last complete run sent (id -> IP), kept in
// the state directory so the next complete run can retract the ones that
// vanished. One file per source, named by a hash of the source name (names
// never reach file paths raw), written atomically and 0600.
#pragma once

#include "net/expected.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace sr::sync::netbox {

using SeenMap = std::map<std::int64_t, std::string>;

std::filesystem::path seen_file(const std::filesystem::path& dir, std::string_view source_name);
// A missing file is an empty map (a first run); a damaged one is an error.
net::Expected<SeenMap> load_seen(const std::filesystem::path& file);
// "" when written (temp file, fsync, rename), else why not.
std::string save_seen(const std::filesystem::path& file, const SeenMap& seen);

}  // namespace sr::sync::netbox
