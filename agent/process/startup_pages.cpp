#include "agent/process/startup_pages.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <fstream>
#include <sstream>
#include <string>

namespace sr::agent {

namespace {

std::uint64_t rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

std::string own_executable() {
  char path[PATH_MAX];
  const auto n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

PageTrim release_startup_pages() {
  PageTrim t;
  t.rss_before_kib = rss_kib();
  const auto exe = own_executable();
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (!exe.empty() && std::getline(maps, line)) {
    // start-end perms offset dev inode path
    std::istringstream fields(line);
    std::string range, perms, offset, dev, inode, path;
    fields >> range >> perms >> offset >> dev >> inode >> path;
    if (path != exe || perms.find('w') != std::string::npos) continue;
    const auto dash = range.find('-');
    const auto start = std::stoull(range.substr(0, dash), nullptr, 16);
    const auto end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_PAGEOUT) != 0 &&
        errno == EINVAL) {
      t.supported = false;
      break;
    }
  }
  t.rss_after_kib = rss_kib();
  return t;
}

}  // namespace sr::agent
