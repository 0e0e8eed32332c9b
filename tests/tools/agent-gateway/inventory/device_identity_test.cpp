// What identifies an update: strong identifiers in priority order, MACs
// normalised (locally administered ones left out), deterministic ids.
#include "tools/agent-gateway/inventory/device_identity.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace sr::gateway::inventory;

namespace {
IncomingDevice parse(std::string_view text) {
  std::string error;
  auto d = incoming_device(boost::json::parse(text).as_object(), error);
  REQUIRE(d);
  return *d;
}
}  // namespace

TEST_CASE("MAC keys: separators removed, upper case; junk and broadcast refused", "[inventory]") {
  for (auto spelling : {"aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F", "aabb.ccdd.ee0f", "aabbccddee0f"})
    CHECK(mac_key(spelling) == "AABBCCDDEE0F");
  for (auto bad : {"", "aa:bb:cc", "gg:bb:cc:dd:ee:0f", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff",
                   "aa:bb:cc:dd:ee:0f:11"})
    CHECK_FALSE(mac_key(bad));
  CHECK(locally_administered("020000000001"));
  CHECK(locally_administered("DA0000000001"));
  CHECK_FALSE(locally_administered("000000000001"));
  CHECK_FALSE(locally_administered("AC0000000001"));
}

TEST_CASE("strong identifiers in priority order; integration ids scoped by their integration", "[inventory]") {
  auto d = parse(R"({"ip":"10.0.0.1","mac":"00:11:22:33:44:55","source":"armis","partition":"edge",
    "metadata":{"netbox_device_id":"7","armis_device_id":"42","integration_id":"42",
                "integration_type":"armis","agent_id":"a1"}})");
  REQUIRE(d.strong.size() == 5);
  CHECK(d.strong[0] == Identifier{IdKind::agent_id, "a1"});
  CHECK(d.strong[1] == Identifier{IdKind::armis_device_id, "42"});
  CHECK(d.strong[2] == Identifier{IdKind::integration_id, "armis:42"});
  CHECK(d.strong[3] == Identifier{IdKind::netbox_device_id, "7"});
  CHECK(d.strong[4] == Identifier{IdKind::mac, "001122334455"});
  CHECK(d.partition == "edge");
  CHECK_FALSE(d.retraction);
}

TEST_CASE("a locally administered MAC is kept on the record but identifies nothing", "[inventory]") {
  auto d = parse(R"({"ip":"10.0.0.1","mac":"02:11:22:33:44:55","source":"faker"})");
  CHECK(d.strong.empty());
  CHECK(d.mac == "02:11:22:33:44:55");
  CHECK(d.partition == "default");
}

TEST_CASE("retractions are flagged and the flag is not metadata", "[inventory]") {
  auto d = parse(R"({"ip":"10.0.0.1","source":"netbox","metadata":{"_deleted":"true","netbox_device_id":"3"}})");
  CHECK(d.retraction);
  CHECK_FALSE(d.metadata.contains("_deleted"));
}

TEST_CASE("an update without an IP is refused naming the field", "[inventory]") {
  std::string error;
  CHECK_FALSE(incoming_device(boost::json::parse(R"({"mac":"00:11:22:33:44:55"})").as_object(), error));
  CHECK(error == "device without \"ip\"");
}

TEST_CASE("deterministic ids: same input same id; partition and identifiers change it", "[inventory]") {
  auto a = parse(R"({"ip":"10.0.0.1","source":"armis","metadata":{"armis_device_id":"42"}})");
  auto b = parse(R"({"ip":"10.9.9.9","source":"armis","metadata":{"armis_device_id":"42"}})");
  auto c = parse(R"({"ip":"10.0.0.1","source":"armis","partition":"p2","metadata":{"armis_device_id":"42"}})");
  auto ip_only = parse(R"({"ip":"10.0.0.1","source":"faker"})");
  CHECK(deterministic_id(a) == deterministic_id(a));
  CHECK(deterministic_id(a) == deterministic_id(b));  // the IP is weak: not part of a strong id
  CHECK(deterministic_id(a) != deterministic_id(c));
  CHECK(deterministic_id(a) != deterministic_id(ip_only));
  const auto id = deterministic_id(a);
  REQUIRE(id.size() == 3 + 36);
  CHECK(id.rfind("sr:", 0) == 0);
  CHECK(id[3 + 14] == '8');  // UUID version 8
}
