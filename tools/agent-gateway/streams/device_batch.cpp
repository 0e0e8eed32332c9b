#include "tools/agent-gateway/streams/device_batch.hpp"

#include "contract/device_json.hpp"

#include <boost/json/parse.hpp>
#include <fmt/core.h>

namespace sr::gateway {

namespace json = boost::json;

bool carries_sync_results(std::string_view service_type, std::string_view service_name) {
  return service_type == "sync" || service_name == "sync";
}

base::Expected<Devices> parse_devices(std::string_view message, int chunk_index) {
  using Result = base::Expected<Devices>;
  boost::system::error_code ec;
  json::value doc = json::parse(message, ec);
  if (ec)
    return Result::failure(fmt::format("chunk {}: results are not JSON: {}", chunk_index,
                                       ec.message()));
  if (!doc.is_array())
    return Result::failure(
        fmt::format("chunk {}: results must be a JSON array of device updates", chunk_index));
  const auto& array = doc.as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const auto* device = array[i].if_object();
    if (!device)
      return Result::failure(
          fmt::format("chunk {}: device {} is not a JSON object", chunk_index, i));
    const auto* ip = device->if_contains(contract::device_key::ip);
    if (!ip || !ip->is_string() || ip->as_string().empty())
      return Result::failure(
          fmt::format("chunk {}: device {} has no \"ip\" string", chunk_index, i));
  }
  return Devices(std::move(doc));
}

}  // namespace sr::gateway
