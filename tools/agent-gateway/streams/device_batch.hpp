// The payload of a sync results message: a JSON array of device updates
// (wire contract, "Device update"). The gateway is strict: anything else
// rejects the stream, with the chunk, element and JSON position named.
#pragma once

#include "base/expected.hpp"

#include <boost/json/value.hpp>

#include <string_view>
#include <vector>

namespace sr::gateway {

// One chunk's device updates, as parsed (read in place, never copied).
class Devices {
 public:
  Devices() = default;
  explicit Devices(boost::json::value array) : doc_(std::move(array)) {}
  std::size_t size() const noexcept { return doc_.is_array() ? doc_.get_array().size() : 0; }
  bool empty() const noexcept { return size() == 0; }
  const boost::json::object& operator[](std::size_t i) const { return doc_.get_array()[i].get_object(); }

 private:
  boost::json::value doc_;
};

base::Expected<Devices> parse_devices(std::string_view message, int chunk_index);

// Whether a service of a chunk carries sync results (the others, if any, are
// counted and ignored).
bool carries_sync_results(std::string_view service_type, std::string_view service_name);

}  // namespace sr::gateway
