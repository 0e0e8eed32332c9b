#include "sync/config/identifier_collisions.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <cctype>

namespace sr::sync {

namespace {

// The identifier kind a source type claims, or "" when none can collide
// (the faker claims none: its devices are found by MAC and IP).
std::string_view claimed_kind(std::string_view type) {
  if (type == "armis") return "armis_device_id";
  if (type == "netbox") return "netbox_device_id";
  return {};
}

// host:port of the endpoint, lower case: one API instance.
std::string instance_of(const SourceConfig& s) {
  auto url = boost::urls::parse_uri(s.endpoint);
  if (!url) return s.endpoint;
  std::string host(url->host());
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string port = url->has_port() ? std::string(url->port()) : url->scheme() == "http" ? "80" : "443";
  return host + ":" + port;
}

// "source \"b\"", "sources \"b\", \"c\" and 4 more": a heartbeat stays small
// however many instances collide.
std::string names_of(const std::vector<std::string>& others) {
  constexpr std::size_t kNamed = 3;
  std::string out = others.size() == 1 ? "source " : "sources ";
  for (std::size_t i = 0; i < others.size() && i < kNamed; ++i) {
    if (i) out += i + 1 == others.size() ? " and " : ", ";
    out += "\"" + others[i] + "\"";
  }
  if (others.size() > kNamed) out += fmt::format(" and {} more", others.size() - kNamed);
  return out;
}

}  // namespace

std::map<std::string, std::vector<std::string>> identifier_collisions(const std::vector<SourceConfig>& sources,
                                                                      std::string_view agent_partition) {
  const std::string fallback = agent_partition.empty() ? "default" : std::string(agent_partition);
  auto partition_of = [&](const SourceConfig& s) { return s.partition.empty() ? fallback : s.partition; };
  std::map<std::string, std::vector<std::string>> out;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto& a = sources[i];
    const auto kind = claimed_kind(a.type);
    if (kind.empty()) continue;
    std::vector<std::string> others;
    for (std::size_t j = 0; j < sources.size(); ++j) {
      const auto& b = sources[j];
      if (i != j && a.type == b.type && partition_of(a) == partition_of(b) && instance_of(a) != instance_of(b))
        others.push_back(b.name);
    }
    if (others.empty()) continue;
    out[a.name].push_back(fmt::format(
        "{} values may collide with {} (other {} instances in partition \"{}\"): the platform would merge "
        "devices that share a number; give each instance its own partition",
        kind, names_of(others), a.type, partition_of(a)));
  }
  return out;
}

}  // namespace sr::sync
