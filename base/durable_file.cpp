#include "base/durable_file.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

namespace sr::base {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kSuffixDigits = 12;
constexpr std::string_view kTmp = ".tmp", kPart = ".part";

std::string errno_text(int err) { return std::strerror(err); }

std::string random_suffix() {
  static constexpr char digits[] = "0123456789abcdef";
  std::random_device rd;
  std::string out(kSuffixDigits, '0');
  for (auto& c : out) c = digits[rd() & 0xF];
  return out;
}

// O_EXCL: never follows a planted link, never reuses a file someone else opened.
int create_private(const fs::path& path) {
  int fd;
  do fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -1;
  // The umask can only narrow 0600, but a default ACL can widen it: say it once more.
  if (::fchmod(fd, 0600) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    errno = err;
    return -1;
  }
  return fd;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

bool is_hex_suffix(std::string_view s) {
  if (s.size() != kSuffixDigits) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

Expected<DurableFile> DurableFile::create(fs::path target, fs::path temp) {
  using Result = Expected<DurableFile>;
  const bool named = !temp.empty();
  int err = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (!named) temp = fs::path(target.string() + std::string(kTmp) + "." + random_suffix());
    const int fd = create_private(temp);
    if (fd >= 0) return DurableFile(fd, std::move(target), std::move(temp));
    err = errno;
    if (named || err != EEXIST) break;  // a random name taken: try another
  }
  return Result::failure(fmt::format("{}: cannot create: {}", temp.string(), errno_text(err)));
}

DurableFile::DurableFile(int fd, fs::path target, fs::path temp)
    : fd_(fd), target_(std::move(target)), temp_(std::move(temp)) {}

DurableFile::DurableFile(DurableFile&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), target_(std::move(o.target_)), temp_(std::move(o.temp_)) {}

DurableFile& DurableFile::operator=(DurableFile&& o) noexcept {
  if (this != &o) {
    abandon();
    fd_ = std::exchange(o.fd_, -1);
    target_ = std::move(o.target_);
    temp_ = std::move(o.temp_);
  }
  return *this;
}

DurableFile::~DurableFile() { abandon(); }

std::string DurableFile::write(std::string_view bytes) {
  if (fd_ < 0) return temp_.string() + ": already closed";
  while (!bytes.empty()) {
    const auto n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fmt::format("{}: cannot write: {}", temp_.string(), errno_text(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string DurableFile::commit() {
  if (fd_ < 0) return temp_.string() + ": already closed";
  std::string error;
  if (::fsync(fd_) != 0) error = fmt::format("{}: cannot fsync: {}", temp_.string(), errno_text(errno));
  if (::close(std::exchange(fd_, -1)) != 0 && error.empty())
    error = fmt::format("{}: cannot close: {}", temp_.string(), errno_text(errno));
  if (error.empty() && ::rename(temp_.c_str(), target_.c_str()) != 0)
    error = fmt::format("{}: cannot replace it with {}: {}", target_.string(), temp_.string(), errno_text(errno));
  if (!error.empty()) {
    ::unlink(temp_.c_str());
    return error;
  }
  temp_.clear();
  return sync_directory(target_.has_parent_path() ? target_.parent_path() : fs::path("."));
}

void DurableFile::abandon() {
  if (fd_ < 0) return;
  ::close(std::exchange(fd_, -1));
  ::unlink(temp_.c_str());
}

std::string write_file_durably(const fs::path& target, std::string_view content) {
  auto file = DurableFile::create(target);
  if (!file) return file.error();
  if (auto err = file->write(content); !err.empty()) return err;
  return file->commit();
}

std::string sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fmt::format("{}: cannot open the directory to fsync it: {}", dir.string(), errno_text(errno));
  std::string error;
  if (::fsync(fd) != 0) error = fmt::format("{}: cannot fsync the directory: {}", dir.string(), errno_text(errno));
  ::close(fd);
  return error;
}

std::string ensure_private_file(const fs::path& path) {
  int fd;
  do fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return fmt::format("{}: cannot open: {}", path.string(), errno_text(errno));
  std::string error;
  struct stat st {};
  if (::fstat(fd, &st) != 0) error = fmt::format("{}: cannot stat: {}", path.string(), errno_text(errno));
  else if (!S_ISREG(st.st_mode)) error = path.string() + ": not a regular file";
  else if ((st.st_mode & 07777) != 0600 && ::fchmod(fd, 0600) != 0)
    error = fmt::format("{}: cannot make it 0600: {}", path.string(), errno_text(errno));
  ::close(fd);
  return error;
}

bool is_write_leftover(std::string_view name) {
  if (name.size() > 1 && name.front() == '.' && ends_with(name, kPart) && name.size() > 1 + kPart.size())
    return true;
  // Earlier versions' temporaries: the JSON stores and caches, NetBox's seen lists.
  if (ends_with(name, kTmp)) return ends_with(name, ".json.tmp") || ends_with(name, ".seen.tmp");
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || !is_hex_suffix(name.substr(dot + 1))) return false;
  const auto stem = name.substr(0, dot);
  return ends_with(stem, kTmp) && stem.size() > kTmp.size();
}

Leftovers remove_write_leftovers(const fs::path& dir) {
  Leftovers out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (!is_write_leftover(name)) continue;
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec) || it->is_symlink(type_ec)) continue;
    std::error_code rm_ec;
    if (fs::remove(it->path(), rm_ec)) out.removed.push_back(name);
    else if (rm_ec) out.errors.push_back(fmt::format("{}: cannot remove: {}", it->path().string(), rm_ec.message()));
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    out.errors.push_back(fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  return out;
}

}  // namespace sr::base
