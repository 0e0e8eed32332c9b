// Armis devices to device updates: the mapping rules and merging by id.
#include "sync/adapters/armis/armis_mapping.hpp"
#include "sync/adapters/armis/armis_source.hpp"

#include <catch2/catch.hpp>

using namespace sr::sync;
using namespace sr::sync::armis;

namespace {

RunInfo run_info() {
  RunInfo info;
  info.agent_id = "agent-1";
  info.gateway_id = "gw";
  info.partition = "edge";
  info.timestamp = "2026-11-25T00:00:00Z";
  return info;
}

std::string meta(const DeviceUpdate& d, std::string_view key) {
  for (const auto& [k, v] : d.metadata)
    if (k == key) return v;
  return "(absent)";
}

ArmisDevice device(std::int64_t id, std::string ips, std::string macs) {
  ArmisDevice d;
  d.id = id;
  d.ip_address = std::move(ips);
  d.mac_address = std::move(macs);
  d.name = "cam-" + std::to_string(id);
  d.type = "IP Camera";
  d.tags = {"t1"};
  return d;
}

}  // namespace

TEST_CASE("a device maps by the rules: first valid IP, first MAC, metadata", "[sync][armis]") {
  auto d = device(42, "junk, 10.0.0.7, 10.0.0.8", "nope,aa-bb-cc-dd-ee-ff,11:22:33:44:55:66");
  d.risk_level = 3;
  d.manufacturer = "Axis";
  DeviceUpdate u;
  REQUIRE(to_update(gather(std::move(d), "cams"), run_info(), u));
  CHECK(u.ip == "10.0.0.7");
  CHECK(u.device_id == "edge:10.0.0.7");
  CHECK(u.mac == "AA:BB:CC:DD:EE:FF");
  CHECK(u.hostname == "cam-42");
  CHECK(u.source == "armis");
  CHECK(u.is_available == true);  // the core reads a missing is_available as false
  CHECK(meta(u, "integration_type") == "armis");
  CHECK(meta(u, "armis_device_id") == "42");
  // The core does not scope integration_id: NetBox 42 would merge into Armis 42.
  CHECK(meta(u, "integration_id") == "(absent)");
  CHECK(meta(u, "armis_type") == "IP Camera");
  CHECK(meta(u, "manufacturer") == "Axis");
  CHECK(meta(u, "armis_risk_level") == "3");
  CHECK(meta(u, "query_label") == "cams");
  CHECK(meta(u, "armis_tags") == "t1");
  CHECK(meta(u, "all_ips") == "10.0.0.7,10.0.0.8");
  CHECK(meta(u, "ip_count") == "2");
  CHECK(meta(u, "model") == "(absent)");  // empty optional keys are left out
}

TEST_CASE("a device without a valid IP is skipped; one IP has no all_ips", "[sync][armis]") {
  DeviceUpdate u;
  CHECK_FALSE(to_update(gather(device(1, "", "aa:bb:cc:dd:ee:ff"), ""), run_info(), u));
  CHECK_FALSE(to_update(gather(device(2, "n/a, 300.1.1.1", ""), ""), run_info(), u));
  DeviceUpdate one;
  REQUIRE(to_update(gather(device(3, "fd00::1", ""), ""), run_info(), one));
  CHECK(one.ip == "fd00::1");
  CHECK(meta(one, "all_ips") == "(absent)");
  CHECK(meta(one, "query_label") == "(absent)");
  CHECK(one.mac.empty());
}

TEST_CASE("several queries' views of one device merge", "[sync][armis]") {
  auto g = gather(device(9, "10.0.0.1", ""), "servers");
  auto second = device(9, "10.0.0.2,10.0.0.1", "aa:bb:cc:dd:ee:01");
  second.tags = {"t2", "t1"};
  second.model = "R740";
  second.risk_level = 8;
  merge(g, std::move(second), "critical");
  DeviceUpdate u;
  REQUIRE(to_update(std::move(g), run_info(), u));
  CHECK(u.ip == "10.0.0.1");
  CHECK(u.mac == "AA:BB:CC:DD:EE:01");
  CHECK(meta(u, "query_label") == "servers,critical");
  CHECK(meta(u, "armis_tags") == "t1,t2");
  CHECK(meta(u, "all_ips") == "10.0.0.1,10.0.0.2");
  CHECK(meta(u, "model") == "R740");
  CHECK(meta(u, "armis_risk_level") == "8");
}

TEST_CASE("expiration_utc in the forms Armis writes", "[sync][armis]") {
  using namespace std::chrono;
  const auto base = sys_days{year{2026} / November / 25} + 16h;
  CHECK(parse_expiration("2026-11-25T16:00:00.123456+00:00") == base);
  CHECK(parse_expiration("2026-11-25T16:00:00Z") == base);
  CHECK(parse_expiration("2026-11-25T17:00:00+01:00") == base);
  CHECK(parse_expiration("2026-11-25T11:30:00-04:30") == base);
  CHECK(parse_expiration("2026-11-25T16:00:00") == base);  // no zone: UTC
  CHECK_FALSE(parse_expiration("tomorrow"));
  CHECK_FALSE(parse_expiration("2026-13-25T16:00:00Z"));
}

TEST_CASE("an expiration_utc the clock cannot hold, or garbage, is none", "[sync][armis]") {
  // Year 9999 overflowed system_clock's nanoseconds (the renewal time came out
  // in the past, or anywhere); the same years as Retry-After's dates are read.
  CHECK_FALSE(parse_expiration("9999-12-31T23:59:59Z"));
  CHECK_FALSE(parse_expiration("2201-01-01T00:00:00Z"));
  CHECK_FALSE(parse_expiration("1899-12-31T23:59:59Z"));
  CHECK_FALSE(parse_expiration("0000-01-01T00:00:00Z"));
  CHECK(parse_expiration("2200-12-31T23:59:59Z"));
  CHECK(parse_expiration("1900-01-01T00:00:00Z"));
  for (const char* garbage : {"", "2026", "2026-11-25", "2026-11-25 16:00:00Z", "-026-11-25T16:00:00Z",
                              "2026-11-25T16:00:00+1:00", "2026-11-25T16:00:00+99:00", "2026-11-25T16:00:00+0a:00",
                              "2026-11-25T25:00:00Z", "2026-11-25T16:60:00Z", "2026-02-30T16:00:00Z",
                              "2026-11-25T16:00:00Zjunk", " 2026-11-25T16:00:00Z", "+2026-11-25T16:00:00Z"}) {
    CAPTURE(garbage);
    CHECK_FALSE(parse_expiration(garbage));
  }
}
