// network_blacklist: devices whose IP lies in one of the CIDRs are dropped.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sr::sync {

class NetworkFilter {
 public:
  // CIDRs already validated by the config parser; an invalid one is ignored.
  explicit NetworkFilter(const std::vector<std::string>& cidrs);
  bool empty() const noexcept { return nets_.empty(); }
  bool blocks(std::string_view ip) const;

 private:
  struct Net {
    std::array<std::uint8_t, 16> addr{};
    int bits = 0;
    bool v6 = false;
  };
  std::vector<Net> nets_;
};

}  // namespace sr::sync
