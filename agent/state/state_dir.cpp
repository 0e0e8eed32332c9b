#include "agent/state/state_dir.hpp"

#include "base/durable_file.hpp"
#include "base/log/logger.hpp"

#include <fmt/core.h>

namespace sr::agent {

namespace fs = std::filesystem;

base::Expected<std::string> prepare_state_dir(const fs::path& dir) {
  using Result = base::Expected<std::string>;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    // Made private from the start: no window in which others could look in.
    if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
    if (!ec && !fs::create_directory(dir, ec) && !ec) ec = std::make_error_code(std::errc::file_exists);
    if (!ec) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) return Result::failure(fmt::format("state_dir {}: cannot create: {}", dir.string(), ec.message()));
    return std::string();
  }
  const auto status = fs::status(dir, ec);
  if (ec) return Result::failure(fmt::format("state_dir {}: {}", dir.string(), ec.message()));
  if (!fs::is_directory(status)) return Result::failure(fmt::format("state_dir {}: not a directory", dir.string()));
  const auto open_to_others = status.permissions() & (fs::perms::group_all | fs::perms::others_all);
  if (open_to_others == fs::perms::none && (status.permissions() & fs::perms::owner_all) == fs::perms::owner_all)
    return std::string();
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return Result::failure(fmt::format("state_dir {}: cannot make it private (0700): {}", dir.string(), ec.message()));
  return open_to_others == fs::perms::none
             ? std::string()
             : fmt::format("state_dir {} was open to other users: now 0700", dir.string());
}

std::size_t remove_state_leftovers(const fs::path& dir) {
  std::size_t removed = 0;
  for (const auto& where : {dir, dir / "sources"}) {
    const auto swept = base::remove_write_leftovers(where);
    for (const auto& name : swept.removed)
      log::info("bootstrap", fmt::format("state_dir: removed {} left by an interrupted write in {}", name, where.string()));
    for (const auto& err : swept.errors) log::warn("bootstrap", "state_dir: " + err);
    removed += swept.removed.size();
  }
  return removed;
}

base::Expected<std::shared_ptr<sync::SpoolStore>> open_spool(const std::string& state_dir,
                                                            std::uint64_t memory, std::uint64_t disk_cap) {
  const auto dir = state_dir.empty() ? std::filesystem::path() : std::filesystem::path(state_dir) / "spool";
  return sync::SpoolStore::open({dir, static_cast<std::size_t>(memory), disk_cap});
}

}  // namespace sr::agent
