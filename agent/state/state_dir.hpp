// The agent's state directory (config cache, spool, per-source state): made
// if missing, and kept private. Spooled device data and the sealed config are
// nobody else's business, whatever the umask or an installer did.
#pragma once

#include "base/expected.hpp"
#include "sync/pipeline/spool.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace sr::agent {

// Creates `dir` (and parents) as needed and makes it 0700. The answer is a
// note worth a warning ("" when nothing had to be tightened), or the error
// naming the directory.
base::Expected<std::string> prepare_state_dir(const std::filesystem::path& dir);

// Removes, and logs, what interrupted writes left in `dir` and its
// `sources/` (base::remove_write_leftovers: our temporaries only; the spool
// cleans its own). For start-up, before anything writes there. The count removed.
std::size_t remove_state_leftovers(const std::filesystem::path& dir);

// The spool under `<state_dir>/spool`, or a private temporary one when
// `state_dir` is empty.
base::Expected<std::shared_ptr<sync::SpoolStore>> open_spool(const std::string& state_dir,
                                                            std::uint64_t memory, std::uint64_t disk_cap);

}  // namespace sr::agent
