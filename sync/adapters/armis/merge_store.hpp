// Several queries' views of the same Armis devices, merged by Armis id until
// the last query ends (integrations.md: each device sent once per run).
//
// Held until the end of the run, so held small: one flat hash map slot per
// device (the id and one std::string), the string holding only what
// to_update reads, length-prefixed, query labels as indices. No node per
// device, no string per field, first_seen/last_seen dropped. A merge decodes
// the entry, merges and encodes it again.
//
// Bounded: past `max_devices` held, a device not held yet is refused and the
// caller sends it on its own (unmerged; if another query lists it too it is
// sent again, and the core merges the duplicates by device id).
#pragma once

#include "sync/adapters/armis/armis_mapping.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sr::sync::armis {

class MergeStore {
 public:
  // `labels`: the label of each query, by index.
  MergeStore(std::vector<std::string> labels, std::uint64_t max_devices);

  // Query `query`'s view of a device with an id, merged into what earlier
  // queries said of it or held. False when it is not held yet and the store
  // is full: `device` is left untouched for the caller to send.
  bool add(ArmisDevice& device, std::size_t query);

  std::size_t size() const { return devices_.size(); }
  // Bytes the store holds on the heap: slots plus each entry's string.
  std::size_t heap_bytes() const;

  // Hands the held devices out one by one (any order), each entry freed as it
  // goes; none when all are out.
  std::optional<GatheredDevice> next();

 private:
  std::vector<std::string> labels_;
  std::uint64_t max_devices_;
  boost::unordered_flat_map<std::int64_t, std::string> devices_;
  boost::unordered_flat_map<std::int64_t, std::string>::iterator draining_;
  bool drain_started_ = false;
};

// The compact form of a gathered device (labels as indices into `labels`),
// and back; exposed for tests.
std::string encode(const GatheredDevice& device, const std::vector<std::string>& labels);
GatheredDevice decode(std::string_view bytes, std::int64_t id, const std::vector<std::string>& labels);

}  // namespace sr::sync::armis
