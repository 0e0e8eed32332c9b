// One NetBox /api/dcim/devices/ page, parsed as it arrives (Boost.JSON's
// basic_parser, no DOM): {"count", "next", "previous", "results": [device...]}.
// Each device is handed on when its object closes, with the nested fields the
// mapping needs flattened. Fields of the wrong type are skipped, never the page.
#pragma once

#include "sync/adapters/https/page_parser.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sr::sync::netbox {

struct NetboxDevice {
  std::optional<std::int64_t> id;
  std::string name, manufacturer, model, role, site, status, serial, description, last_updated;
  std::string primary_ip4, primary_ip6;  // CIDR text, "10.0.0.1/24"
};

struct NetboxPageInfo {
  std::optional<std::int64_t> count;
  std::optional<std::string> next;  // absolute or relative URL; none when null
  std::uint64_t devices = 0;
  std::uint64_t skipped_fields = 0;
};

using NetboxPageParser = PageParser<NetboxDevice, NetboxPageInfo>;

}  // namespace sr::sync::netbox

// Instantiated in netbox_page.cpp.
extern template class sr::sync::PageParser<sr::sync::netbox::NetboxDevice, sr::sync::netbox::NetboxPageInfo>;
