// NetBox device pages parsed as they arrive: nested fields flattened, older
// device_role accepted, wrong types skipped, next kept as text.
#include "sync/adapters/netbox/netbox_page.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"
#include "tests/sync/adapter_harness.hpp"

#include <catch2/catch.hpp>

using namespace sr::sync;
using namespace sr::sync::netbox;

namespace {

const std::string kPage = R"({"count":3,"next":"https://nb.example/api/dcim/devices/?limit=3&offset=3","previous":null,
 "results":[
  {"id":10,"name":"sw-1","device_type":{"manufacturer":{"name":"Cisco"},"model":"C9300"},
   "role":{"name":"Access Switch"},"site":{"name":"HQ"},"status":{"value":"active","label":"Active"},
   "primary_ip4":{"id":5,"address":"10.1.0.10/24"},"primary_ip6":null,"serial":"FOC123",
   "tags":[{"name":"x"}],"custom_fields":{"name":"not the device's"}},
  {"id":11,"name":"old-style","device_role":{"name":"Router"},"primary_ip4":null,
   "primary_ip6":{"address":"fd00::11/64"},"serial":17,"site":"flat-text"},
  {"id":12,"name":"no-ip","primary_ip4":null,"primary_ip6":null}
 ]})";

std::vector<NetboxDevice> parse(const std::string& page, std::size_t piece, NetboxPageInfo& info,
                                std::string& error) {
  std::vector<NetboxDevice> out;
  NetboxPageParser p([&](NetboxDevice& d) {
    out.push_back(d);
    return true;
  });
  for (std::size_t at = 0; at < page.size() && error.empty(); at += piece)
    error = p.feed(std::string_view(page).substr(at, piece));
  if (error.empty()) error = p.finish();
  info = p.info();
  return out;
}

}  // namespace

TEST_CASE("a NetBox page: nested fields, old role name, skipped types", "[sync][netbox]") {
  for (std::size_t piece : {std::size_t{1}, std::size_t{17}, kPage.size()}) {
    NetboxPageInfo info;
    std::string error;
    auto devices = parse(kPage, piece, info, error);
    REQUIRE(error.empty());
    REQUIRE(devices.size() == 3);
    CHECK(info.count == 3);
    CHECK(info.next == "https://nb.example/api/dcim/devices/?limit=3&offset=3");
    const auto& a = devices[0];
    CHECK(a.id == 10);
    CHECK(a.name == "sw-1");
    CHECK(a.manufacturer == "Cisco");
    CHECK(a.model == "C9300");
    CHECK(a.role == "Access Switch");
    CHECK(a.site == "HQ");
    CHECK(a.status == "active");
    CHECK(a.primary_ip4 == "10.1.0.10/24");
    CHECK(a.serial == "FOC123");
    const auto& b = devices[1];
    CHECK(b.role == "Router");
    CHECK(b.primary_ip6 == "fd00::11/64");
    CHECK(b.serial.empty());  // 17: skipped
    CHECK(b.site.empty());    // a string where an object belongs: nothing read
    CHECK(info.skipped_fields == 1);
  }
}

TEST_CASE("NetBox mapping: IPv4 first, then IPv6, host part only; no IP, no device",
          "[sync][netbox]") {
  NetboxPageInfo info;
  std::string error;
  auto devices = parse(kPage, kPage.size(), info, error);
  const auto run = sr::test::test_run_info();
  DeviceUpdate a, b, c;
  REQUIRE(to_update(std::move(devices[0]), run, a));
  CHECK(a.ip == "10.1.0.10");
  CHECK(a.device_id == "default:10.1.0.10");
  CHECK(a.hostname == "sw-1");
  CHECK(a.source == "netbox");
  CHECK(sr::test::meta_of(a, "integration_type") == "netbox");
  CHECK(sr::test::meta_of(a, "netbox_device_id") == "10");
  CHECK(sr::test::meta_of(a, "integration_id") == "(absent)");  // unscoped in the core
  CHECK(sr::test::meta_of(a, "device_role") == "Access Switch");  // where the core classifies by role
  CHECK(sr::test::meta_of(a, "role") == "(absent)");
  CHECK(sr::test::meta_of(a, "_deleted") == "false");  // clears an earlier retraction in the core
  CHECK(a.is_available == true);                      // status active
  CHECK(sr::test::meta_of(a, "site") == "HQ");
  CHECK(sr::test::meta_of(a, "manufacturer") == "Cisco");
  CHECK(sr::test::meta_of(a, "model") == "C9300");
  CHECK(sr::test::meta_of(a, "status") == "active");
  CHECK(sr::test::meta_of(a, "serial") == "FOC123");
  REQUIRE(to_update(std::move(devices[1]), run, b));
  CHECK(b.ip == "fd00::11");
  CHECK_FALSE(to_update(std::move(devices[2]), run, c));
  const auto gone = retraction(42, "10.9.9.9", run);
  CHECK(gone.is_available == false);
  CHECK(sr::test::meta_of(gone, "_deleted") == "true");
  CHECK(sr::test::meta_of(gone, "netbox_device_id") == "42");
  CHECK(sr::test::meta_of(gone, "integration_id") == "(absent)");
}

TEST_CASE("a device NetBox documents as not active is not expected up", "[sync][netbox]") {
  const auto run = sr::test::test_run_info();
  for (auto [status, up] : {std::pair{"active", true}, {"", true}, {"offline", false}, {"planned", false},
                            {"failed", false}, {"decommissioning", false}}) {
    NetboxDevice d;
    d.id = 7;
    d.primary_ip4 = "10.0.0.7/24";
    d.status = status;
    DeviceUpdate u;
    REQUIRE(to_update(std::move(d), run, u));
    INFO(status);
    CHECK(u.is_available == up);
  }
}

TEST_CASE("next links keep only their path and query; scheme, host and port stay the endpoint's",
          "[sync][netbox]") {
  const auto current = boost::urls::url("https://127.0.0.1:8443/nb/api/dcim/devices/?limit=100");
  auto to = [&](std::string_view next) {
    auto u = next_page_url(current, next);
    return u ? std::string(u->buffer()) : std::string("(none)");
  };
  // Behind a TLS-terminating proxy: http:// and NetBox's own host name.
  CHECK(to("http://netbox.internal/nb/api/dcim/devices/?limit=100&offset=100") ==
        "https://127.0.0.1:8443/nb/api/dcim/devices/?limit=100&offset=100");
  // Another port of the same host, or another host: the token never goes there.
  CHECK(to("https://127.0.0.1:31444/nb/api/dcim/devices/?offset=200") ==
        "https://127.0.0.1:8443/nb/api/dcim/devices/?offset=200");
  CHECK(to("https://attacker.example/steal?offset=1") == "https://127.0.0.1:8443/steal?offset=1");
  CHECK(to("/nb/api/dcim/devices/?offset=300#frag") == "https://127.0.0.1:8443/nb/api/dcim/devices/?offset=300");
  CHECK(to("?limit=100&offset=400") == "https://127.0.0.1:8443/nb/api/dcim/devices/?limit=100&offset=400");
  CHECK(to("http://[::1") == "(none)");
}
