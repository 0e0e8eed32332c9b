// The NetBox devices a source's last complete run sent (id -> IP), kept in
// the state directory so the next complete run can retract the ones that
// vanished. One file per source, named by a hash of the source name (names
// never reach file paths raw), written atomically and 0600.
//
// In memory a run holds two lists of these (the previous run's and its own),
// so each entry is fixed-size and flat: 25 bytes, no node, no heap string.
#pragma once

#include "base/expected.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync::netbox {

// A device's NetBox id and the IP it was sent with. Byte arrays only
// (alignment 1), so a vector of them costs 25 bytes a device.
class SeenDevice {
 public:
  // None when `ip` is not an IPv4 or IPv6 address.
  static std::optional<SeenDevice> make(std::int64_t id, std::string_view ip);
  std::int64_t id() const;
  std::string ip() const;  // canonical text (as canonical_ip writes it)

 private:
  std::array<unsigned char, 8> id_{};
  unsigned char family_ = 0;  // 4 or 6: ::ffff:1.2.3.4 and 1.2.3.4 are different devices
  std::array<unsigned char, 16> address_{};
};
static_assert(sizeof(SeenDevice) == 25 && alignof(SeenDevice) == 1);

// Sorted by id, one entry per id (see settle).
using SeenList = std::vector<SeenDevice>;

// Sorts by id; of entries with the same id the last added is kept (NetBox
// listing a device twice in one run: its later IP wins). Frees the slack.
void settle(SeenList& list);
// The entries of `previous` whose id is not in `current` (both settled).
SeenList vanished(const SeenList& previous, const SeenList& current);

std::filesystem::path seen_file(const std::filesystem::path& dir, std::string_view source_name);
// A missing file is an empty list (a first run); a damaged one, or one of
// more than `max_devices` lines, is an error. The result is settled.
base::Expected<SeenList> load_seen(const std::filesystem::path& file, std::uint64_t max_devices);
// "" when written (temp file, fsync, rename), else why not. Lines
// "<id>\t<ip>\n", written through a small buffer (never the whole text in memory).
std::string save_seen(const std::filesystem::path& file, const SeenList& seen);

}  // namespace sr::sync::netbox
