// One Armis search page, parsed as it arrives (Boost.JSON's basic_parser, no
// DOM): {"data": {"count", "next", "prev", "total", "results": [device...]},
// "success"}. Each device is handed on as soon as its object closes. A
// malformed optional field is skipped, never the page.
#pragma once

#include "sync/adapters/https/page_parser.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync::armis {

struct ArmisDevice {
  std::optional<std::int64_t> id;
  std::string ip_address, mac_address;  // each may be a comma-separated list
  std::string name, type, category, manufacturer, model, operating_system, boundaries;
  std::string first_seen, last_seen;
  std::int64_t risk_level = 0;
  std::vector<std::string> tags;
};

struct ArmisPageInfo {
  std::optional<std::int64_t> count, next, prev, total;
  std::optional<bool> success;
  std::uint64_t devices = 0;    // device objects seen in results
  std::uint64_t skipped_fields = 0;  // optional fields of the wrong type, left out
};

using ArmisPageParser = PageParser<ArmisDevice, ArmisPageInfo>;

}  // namespace sr::sync::armis

// Instantiated in armis_page.cpp.
extern template class sr::sync::PageParser<sr::sync::armis::ArmisDevice, sr::sync::armis::ArmisPageInfo>;
