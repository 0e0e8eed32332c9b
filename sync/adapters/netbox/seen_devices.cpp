#include "sync/adapters/netbox/seen_devices.hpp"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sr::sync::netbox {

namespace fs = std::filesystem;

fs::path seen_file(const fs::path& dir, std::string_view source_name) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(source_name.data()), source_name.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string name = "netbox-";
  for (int i = 0; i < 8; ++i) {
    name += hex[digest[i] >> 4];
    name += hex[digest[i] & 15];
  }
  return dir / (name + ".seen");
}

net::Expected<SeenMap> load_seen(const fs::path& file) {
  using Result = net::Expected<SeenMap>;
  std::ifstream in(file);
  if (!in) {
    if (!fs::exists(file)) return SeenMap{};
    return Result::failure("cannot read " + file.string());
  }
  SeenMap seen;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    const auto tab = line.find('\t');
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + (tab == std::string::npos ? 0 : tab), id);
    if (tab == std::string::npos || ec != std::errc{} || end != line.data() + tab || tab + 1 == line.size())
      return Result::failure(file.string() + " line " + std::to_string(n) + " is damaged");
    seen.emplace(id, line.substr(tab + 1));
  }
  return seen;
}

std::string save_seen(const fs::path& file, const SeenMap& seen) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return "cannot create " + file.parent_path().string() + ": " + ec.message();
  fs::permissions(file.parent_path(), fs::perms::owner_all, ec);
  std::ostringstream text;
  for (const auto& [id, ip] : seen) text << id << '\t' << ip << '\n';
  const std::string body = text.str();
  const auto tmp = file.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot write " + tmp + ": " + std::strerror(errno);
  std::size_t done = 0;
  while (done < body.size()) {
    const auto n = ::write(fd, body.data() + done, body.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return "cannot write " + tmp + ": " + why;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return "cannot replace " + file.string() + ": " + why;
  }
  return {};
}

}  // namespace sr::sync::netbox
