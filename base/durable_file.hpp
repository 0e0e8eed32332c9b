// Files that hold secrets or state a crash must not tear: written to a
// private temporary beside the target (0600 whatever the umask: fchmod after
// O_CREAT|O_EXCL), fsynced, renamed over the target, and the directory
// fsynced, so a reader or a reboot sees the old file or the new one, whole,
// and nobody else can read either. Errors name the path and errno's text.
//
// Blocking (fsync): call from a thread that may block, not an event loop's.
#pragma once

#include "base/expected.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace sr::base {

class DurableFile {
 public:
  // Creates the temporary for `target`: `temp` if given (it must not exist),
  // else `<target>.tmp.<12 hex>`.
  static Expected<DurableFile> create(std::filesystem::path target, std::filesystem::path temp = {});

  DurableFile(DurableFile&& other) noexcept;
  DurableFile& operator=(DurableFile&& other) noexcept;
  DurableFile(const DurableFile&) = delete;
  DurableFile& operator=(const DurableFile&) = delete;
  ~DurableFile();  // abandons the temporary unless committed

  // Appends all of `bytes`: "" or the error naming the temporary.
  std::string write(std::string_view bytes);
  // fsync, close, rename over the target, fsync the directory: "" or the
  // error naming the path; on an error the temporary is removed.
  std::string commit();
  // Closes and removes the temporary (nothing of it stays on disk).
  void abandon();

  const std::filesystem::path& temp_path() const noexcept { return temp_; }
  const std::filesystem::path& target() const noexcept { return target_; }

 private:
  DurableFile(int fd, std::filesystem::path target, std::filesystem::path temp);
  int fd_ = -1;
  std::filesystem::path target_, temp_;
};

// The whole of `content` as `target`, through DurableFile: "" or the error.
std::string write_file_durably(const std::filesystem::path& target, std::string_view content);

// fsync of a directory, so a rename or creation in it survives a crash.
std::string sync_directory(const std::filesystem::path& dir);

// Opens (creating if missing) `path` as a regular file with mode 0600 and
// makes an existing one 0600 too: "" or the error. For files another
// library then opens by name (SQLite's database).
std::string ensure_private_file(const std::filesystem::path& path);

struct Leftovers {
  std::vector<std::string> removed;  // file names
  std::vector<std::string> errors;   // each naming the file
};

// True for the names interrupted writers of this project leave:
// `<name>.tmp.<12 hex>` (DurableFile), `.<name>.part` (stream sinks) and
// `<name>.json.tmp` / `<name>.seen.tmp` (earlier versions' temporaries).
// Anything else (an operator's `notes.tmp`) is not ours and stays.
bool is_write_leftover(std::string_view file_name);

// Removes the leftovers (regular files only, not recursing) in `dir`; for
// start-up, before anything in the process writes there.
Leftovers remove_write_leftovers(const std::filesystem::path& dir);

}  // namespace sr::base
