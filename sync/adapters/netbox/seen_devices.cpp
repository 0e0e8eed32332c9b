#include "sync/adapters/netbox/seen_devices.hpp"

#include "base/durable_file.hpp"

#include <arpa/inet.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>

namespace sr::sync::netbox {

namespace fs = std::filesystem;

std::optional<SeenDevice> SeenDevice::make(std::int64_t id, std::string_view ip) {
  char text[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof text) return std::nullopt;
  ip.copy(text, ip.size());
  text[ip.size()] = '\0';
  SeenDevice d;
  std::memcpy(d.id_.data(), &id, sizeof id);
  if (::inet_pton(AF_INET, text, d.address_.data()) == 1) d.family_ = 4;
  else if (::inet_pton(AF_INET6, text, d.address_.data()) == 1) d.family_ = 6;
  else return std::nullopt;
  return d;
}

std::int64_t SeenDevice::id() const {
  std::int64_t id;
  std::memcpy(&id, id_.data(), sizeof id);
  return id;
}

std::string SeenDevice::ip() const {
  char text[INET6_ADDRSTRLEN];
  const int af = family_ == 4 ? AF_INET : AF_INET6;
  return ::inet_ntop(af, address_.data(), text, sizeof text) ? std::string(text) : std::string();
}

void settle(SeenList& list) {
  std::stable_sort(list.begin(), list.end(),
                   [](const SeenDevice& a, const SeenDevice& b) { return a.id() < b.id(); });
  // Of a run of equal ids keep the last one (stable: the one added last).
  auto out = list.begin();
  for (auto it = list.begin(); it != list.end(); ++it) {
    const auto next = std::next(it);
    if (next != list.end() && next->id() == it->id()) continue;
    *out++ = *it;
  }
  list.erase(out, list.end());
  list.shrink_to_fit();
}

SeenList vanished(const SeenList& previous, const SeenList& current) {
  SeenList gone;
  std::set_difference(previous.begin(), previous.end(), current.begin(), current.end(),
                      std::back_inserter(gone),
                      [](const SeenDevice& a, const SeenDevice& b) { return a.id() < b.id(); });
  return gone;
}

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

base::Expected<SeenList> load_seen(const fs::path& file, std::uint64_t max_devices) {
  using Result = base::Expected<SeenList>;
  std::ifstream in(file);
  if (!in) {
    if (!fs::exists(file)) return SeenList{};
    return Result::failure("cannot read " + file.string());
  }
  SeenList seen;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (n > max_devices)
      return Result::failure(file.string() + " lists more than " + std::to_string(max_devices) +
                             " devices (max_seen_devices)");
    const auto tab = line.find('\t');
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + (tab == std::string::npos ? 0 : tab), id);
    std::optional<SeenDevice> d;
    if (tab != std::string::npos && ec == std::errc{} && end == line.data() + tab)
      d = SeenDevice::make(id, std::string_view(line).substr(tab + 1));
    if (!d) return Result::failure(file.string() + " line " + std::to_string(n) + " is damaged");
    seen.push_back(*d);
  }
  settle(seen);
  return seen;
}

namespace {

// Through a 64 KiB buffer: one write per buffer, not per device.
std::string write_lines(base::DurableFile& out, const SeenList& seen) {
  constexpr std::size_t kBuffer = 64 * 1024;
  std::string buffer;
  buffer.reserve(kBuffer + 128);
  for (const auto& d : seen) {
    buffer += std::to_string(d.id());
    buffer += '\t';
    buffer += d.ip();
    buffer += '\n';
    if (buffer.size() >= kBuffer) {
      if (auto err = out.write(buffer); !err.empty()) return err;
      buffer.clear();
    }
  }
  return out.write(buffer);
}

}  // namespace

std::string save_seen(const fs::path& file, const SeenList& seen) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) return "cannot create " + file.parent_path().string() + ": " + ec.message();
  fs::permissions(file.parent_path(), fs::perms::owner_all, ec);
  // 0600 whatever the umask, fsynced, renamed, directory fsynced.
  auto out = base::DurableFile::create(file);
  if (!out) return out.error();
  if (auto err = write_lines(*out, seen); !err.empty()) return err;
  return out->commit();
}

}  // namespace sr::sync::netbox
