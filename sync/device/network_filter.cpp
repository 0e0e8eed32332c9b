#include "sync/device/network_filter.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace sr::sync {

namespace {
bool parse_ip(std::string_view text, std::array<std::uint8_t, 16>& out, bool& v6) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.size() >= sizeof buf) return false;
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  out.fill(0);
  if (::inet_pton(AF_INET, buf, out.data()) == 1) {
    v6 = false;
    return true;
  }
  if (::inet_pton(AF_INET6, buf, out.data()) == 1) {
    v6 = true;
    return true;
  }
  return false;
}
}  // namespace

NetworkFilter::NetworkFilter(const std::vector<std::string>& cidrs) {
  for (std::string_view c : cidrs) {
    const auto slash = c.find('/');
    if (slash == std::string_view::npos) continue;
    Net n;
    auto bits_text = c.substr(slash + 1);
    auto [p, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), n.bits);
    if (ec != std::errc() || !parse_ip(c.substr(0, slash), n.addr, n.v6)) continue;
    nets_.push_back(n);
  }
}

bool NetworkFilter::blocks(std::string_view ip) const {
  if (nets_.empty()) return false;
  std::array<std::uint8_t, 16> a{};
  bool v6 = false;
  if (!parse_ip(ip, a, v6)) return false;
  for (const auto& n : nets_) {
    if (n.v6 != v6) continue;
    int bits = n.bits, i = 0;
    bool match = true;
    for (; bits >= 8 && match; bits -= 8, ++i) match = a[i] == n.addr[i];
    if (match && bits > 0) {
      const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
      match = (a[i] & mask) == (n.addr[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

}  // namespace sr::sync
