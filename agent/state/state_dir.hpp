// The agent's state directory (config cache, spool, per-source state): made
// if missing, and kept private. Spooled device data and the sealed config are
// nobody else's business, whatever the umask or an installer did.
#pragma once

#include "net/expected.hpp"

#include <cstddef>
#include <filesystem>
#include <string>

namespace sr::agent {

// Creates `dir` (and parents) as needed and makes it 0700. The answer is a
// note worth a warning ("" when nothing had to be tightened), or the error
// naming the directory.
net::Expected<std::string> prepare_state_dir(const std::filesystem::path& dir);

// Removes, and logs, what interrupted writes left in `dir` and its
// `sources/` (net::remove_write_leftovers: our temporaries only; the spool
// cleans its own). For start-up, before anything writes there. The count removed.
std::size_t remove_state_leftovers(const std::filesystem::path& dir);

}  // namespace sr::agent
