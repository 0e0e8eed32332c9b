#include "tools/fake-inventory/apis/netbox_api.hpp"

#include "tools/fake-inventory/apis/json_reply.hpp"

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace sr::fake {

namespace {

bool ipv6_only(std::uint64_t index) { return index % 50 == 49; }

std::string device_json(const sr::contract::faker::FakeDevice& d, std::uint64_t index, const std::string& ip) {
  const std::string v4 = ipv6_only(index) ? "null" : R"({"address":")" + ip + R"(/24"})";
  const std::string v6 = ipv6_only(index) ? R"({"address":")" + ip + R"(/64"})" : "null";
  return fmt::format(
      R"({{"id":{},"name":{},"device_type":{{"manufacturer":{{"name":{}}},"model":{}}},)"
      R"("role":{{"name":{}}},"site":{{"name":{}}},"status":{{"value":"active","label":"Active"}},)"
      R"("primary_ip4":{},"primary_ip6":{},"serial":"SN{:08d}","description":"",)"
      R"("last_updated":"2026-11-25T00:00:00Z","tags":[]}})",
      d.id, quoted(d.name), quoted(d.manufacturer), quoted(d.model), quoted(d.type),
      quoted(d.boundaries), v4, v6, d.id);
}

}  // namespace

std::string check_next_origin(std::string& origin) {
  if (origin.ends_with('/')) origin.pop_back();
  auto u = boost::urls::parse_uri(origin);
  if (!u) return "\"" + origin + "\" is not a URL";
  if (u->scheme() != "http" && u->scheme() != "https")
    return "\"" + origin + "\" is not http:// or https://";
  if (u->host().empty() || u->has_userinfo() || !u->encoded_path().empty() || u->has_query() ||
      u->has_fragment())
    return "\"" + origin + "\" is not scheme://host[:port]";
  return {};
}

std::string netbox_ip(const sr::contract::faker::Inventory& inventory, std::uint64_t index,
                      std::uint64_t epoch) {
  // By slot, so inventories with different first slots differ here too.
  if (ipv6_only(index)) {
    // Slots reach 2^24: two groups past 0xffff (one group holds 16 bits).
    const auto n = inventory.first_slot() + index + 1;
    return n <= 0xffff ? fmt::format("fd00::{:x}", n) : fmt::format("fd00::{:x}:{:x}", n >> 16, n & 0xffff);
  }
  return inventory.ip_of(index, epoch);
}

NetboxApi::NetboxApi(NetboxApiOptions options)
    : options_(std::move(options)), inventory_(options_.inventory),
      total_(options_.inventory.total_devices) {}

Reply NetboxApi::handle(const ServerRequest& request) {
  const auto path = request.target.substr(0, request.target.find('?'));
  if (path != "/api/dcim/devices/" || request.method != "GET")
    return json_reply(404, R"({"detail":"Not found."})");
  const std::string expected =
      (options_.token.starts_with("nbt_") ? "Bearer " : "Token ") + options_.token;
  if (request.header("authorization") != expected)
    return json_reply(403, R"({"detail":"Invalid token"})");
  const auto n = ++requests_;
  auto hit = [&](std::uint64_t every) { return faults_.hit(n, every, request.target); };
  if (hit(options_.rate_limit_every)) {
    auto r = json_reply(429, R"({"detail":"Request was throttled."})");
    r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
    return r;
  }
  if (hit(options_.error_every)) return json_reply(500, R"({"detail":"Server Error"})");

  std::uint64_t limit = 50, offset = 0;
  if (auto u = boost::urls::parse_uri_reference(request.target)) {
    for (auto p : u->params()) {
      if (p.key == "limit") limit = std::strtoull(std::string(p.value).c_str(), nullptr, 10);
      if (p.key == "offset") offset = std::strtoull(std::string(p.value).c_str(), nullptr, 10);
    }
  }
  limit = std::clamp<std::uint64_t>(limit, 1, options_.max_limit);
  const std::uint64_t total = total_;
  const auto end = std::min(total, offset + limit);
  std::string body = R"({"count":)" + std::to_string(total) + R"(,"next":)";
  if (end < total) {
    const std::string link = fmt::format("/api/dcim/devices/?limit={}&offset={}", limit, end);
    const std::string origin = !options_.next_origin.empty()
                                   ? options_.next_origin
                                   : (request.tls ? "https://" : "http://") + request.header("host");
    body += quoted(options_.relative_next ? link : origin + link);
  } else {
    body += "null";
  }
  body += R"(,"previous":null,"results":[)";
  for (auto i = offset; i < end; ++i) {
    if (i != offset) body += ',';
    body += device_json(inventory_.device(i, options_.epoch, false), i,
                        netbox_ip(inventory_, i, options_.epoch));
  }
  body += "]}";
  auto r = json_reply(200, std::move(body));
  if (hit(options_.malformed_every)) r.body.insert(r.body.find('[') + 1, "@@,");
  if (hit(options_.reset_every)) r.reset_after = r.body.size() / 2;
  return r;
}

}  // namespace sr::fake
