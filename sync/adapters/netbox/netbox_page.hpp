// One NetBox /api/dcim/devices/ page, parsed as it arrives (Boost.JSON's
// basic_parser, no DOM): {"count", "next", "previous", "results": [device...]}.
// Each device is handed on when its object closes, with the nested fields the
// mapping needs flattened. Fields of the wrong type are skipped, never the page.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

class NetboxPageParser {
 public:
  using OnDevice = std::function<bool(NetboxDevice&)>;
  explicit NetboxPageParser(OnDevice on_device);
  ~NetboxPageParser();
  NetboxPageParser(const NetboxPageParser&) = delete;
  NetboxPageParser& operator=(const NetboxPageParser&) = delete;

  std::string feed(std::string_view piece);  // "" while fine, else what and where
  std::string finish();                      // "" when the page was whole JSON
  const NetboxPageInfo& info() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sr::sync::netbox
