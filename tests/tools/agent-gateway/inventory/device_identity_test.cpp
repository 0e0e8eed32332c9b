// What the core reads of an update: the fields it keeps, strong identifiers
// in priority order (integration ids unscoped, every MAC), Elixir's
// truthiness for is_available, and its deterministic ids, pinned.
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

TEST_CASE("MAC keys as the core's normalize_mac: trimmed, upper case, separators removed, nothing refused",
          "[inventory]") {
  for (auto spelling :
       {"aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F", "aabb.ccdd.ee0f", "aabbccddee0f", " aa:bb:cc:dd:ee:0f\t"})
    CHECK(mac_key(spelling) == "AABBCCDDEE0F");
  // No validity check: whatever is left identifies.
  CHECK(mac_key("aa:bb:cc") == "AABBCC");
  CHECK(mac_key("gg:hh") == "GGHH");
  CHECK(mac_key("00:00:00:00:00:00") == "000000000000");
  CHECK(mac_key(" :-. ").empty());
  CHECK(mac_key("").empty());
}

TEST_CASE("strong identifiers in priority order; integration ids are not scoped by their integration",
          "[inventory]") {
  auto d = parse(R"({"ip":"10.0.0.1","mac":"00:11:22:33:44:55","source":"armis","partition":"edge",
    "metadata":{"netbox_device_id":"7","armis_device_id":" 42 ","integration_id":"42",
                "integration_type":"armis","agent_id":"a1"}})");
  REQUIRE(d.strong.size() == 5);
  CHECK(d.strong[0] == Identifier{IdKind::agent_id, "a1"});
  CHECK(d.strong[1] == Identifier{IdKind::armis_device_id, "42"});  // trimmed
  CHECK(d.strong[2] == Identifier{IdKind::integration_id, "42"});   // no "armis:" scope
  CHECK(d.strong[3] == Identifier{IdKind::netbox_device_id, "7"});
  CHECK(d.strong[4] == Identifier{IdKind::mac, "001122334455"});
  CHECK(d.partition == "edge");
  CHECK(d.mac_binds);
  // The same integration id from a NetBox update is the same identifier.
  auto n = parse(R"({"ip":"10.0.0.2","source":"netbox","partition":"edge",
    "metadata":{"integration_id":"42","integration_type":"netbox"}})");
  REQUIRE(n.strong.size() == 1);
  CHECK(n.strong[0] == Identifier{IdKind::integration_id, "42"});
}

TEST_CASE("a locally administered MAC identifies like any other", "[inventory]") {
  auto d = parse(R"({"ip":"10.0.0.1","mac":"02:11:22:33:44:55","source":"faker"})");
  REQUIRE(d.strong.size() == 1);
  CHECK(d.strong[0] == Identifier{IdKind::mac, "021122334455"});
  CHECK(d.mac == "02:11:22:33:44:55");  // the record keeps it as sent (trimmed)
  CHECK(d.partition == "default");
}

TEST_CASE("empty identifier values are absent; a top-level agent_id is dropped", "[inventory]") {
  auto d = parse(R"({"ip":"10.0.0.1","agent_id":"edge-1","mac":"  ",
    "metadata":{"armis_device_id":"  ","integration_id":"","netbox_device_id":7}})");
  CHECK(d.strong.empty());
  CHECK(d.mac == "");  // present, empty: it will overwrite a stored MAC, as the core's COALESCE does
  CHECK_FALSE(d.metadata.contains("netbox_device_id"));  // string values only
}

TEST_CASE("the fields the core keeps, with its defaults", "[inventory]") {
  auto d = parse(R"({"device_id":" default:10.0.0.1 ","ip":" 10.0.0.1 ","hostname":" sw1 ","partition":" p1 ",
    "source":" netbox ","timestamp":"2026-01-01T00:00:00Z","confidence":7,"gateway_id":"gw",
    "metadata":{"k":"v","sync_service_id":"mine"},"sync_meta":{"sync_service_id":"theirs"},
    "tags":{"env":"prod","n":1}})");
  CHECK(d.device_id == "default:10.0.0.1");
  CHECK(d.ip == "10.0.0.1");
  CHECK(d.hostname == "sw1");
  CHECK_FALSE(d.mac);
  CHECK(d.partition == "p1");
  CHECK(d.source == "netbox");
  CHECK(d.timestamp == "2026-01-01T00:00:00Z");
  CHECK(d.metadata == std::map<std::string, std::string>{{"k", "v"}, {"sync_service_id", "mine"}});  // metadata's wins
  CHECK(d.tags == std::map<std::string, std::string>{{"env", "prod"}});
  CHECK_FALSE(d.available);

  auto e = parse(R"({"ip":"10.0.0.1","sync_meta":{"sync_service_id":"uuid-1"},"source":""})");
  CHECK(e.metadata.at("sync_service_id") == "uuid-1");  // copied when metadata has none
  CHECK(e.source == "unknown");
  CHECK(e.partition == "default");
  CHECK_FALSE(e.hostname);
  // An empty partition stays empty (the core's `get_string(...) || "default"`: "" is truthy).
  CHECK(parse(R"({"ip":"10.0.0.1","partition":""})").partition.empty());
}

TEST_CASE("is_available with Elixir's truthiness: anything but missing, null and false is true", "[inventory]") {
  CHECK_FALSE(parse(R"({"ip":"10.0.0.1"})").available);
  CHECK_FALSE(parse(R"({"ip":"10.0.0.1","is_available":null})").available);
  CHECK_FALSE(parse(R"({"ip":"10.0.0.1","is_available":false})").available);
  CHECK(parse(R"({"ip":"10.0.0.1","is_available":true})").available);
  CHECK(parse(R"({"ip":"10.0.0.1","is_available":"false"})").available);  // a string is truthy
  CHECK(parse(R"({"ip":"10.0.0.1","is_available":0})").available);
}

TEST_CASE("_deleted is metadata like any other key", "[inventory]") {
  auto d = parse(R"({"ip":"10.0.0.1","source":"netbox","metadata":{"_deleted":"true","netbox_device_id":"3"}})");
  CHECK(d.metadata.at("_deleted") == "true");
  CHECK(d.strong == std::vector<Identifier>{{IdKind::netbox_device_id, "3"}});
}

TEST_CASE("mapper-like updates: no agent_id identifier; the MAC binds only when it is a primary one",
          "[inventory]") {
  auto d = parse(R"({"ip":"10.0.0.1","mac":"00:11:22:33:44:55","source":"Sweep","metadata":{"agent_id":"a1"}})");
  CHECK(d.strong == std::vector<Identifier>{{IdKind::mac, "001122334455"}});
  CHECK_FALSE(d.mac_binds);
  auto p = parse(R"({"ip":"10.0.0.1","mac":"00:11:22:33:44:55","source":"armis",
    "metadata":{"identity_source":"mapper_primary_mac_seed","identity_mac_kind":"Chassis"}})");
  CHECK(p.mac_binds);
}

TEST_CASE("an update without an IP is refused naming the field", "[inventory]") {
  std::string error;
  CHECK_FALSE(incoming_device(boost::json::parse(R"({"mac":"00:11:22:33:44:55"})").as_object(), error));
  CHECK(error == "device without \"ip\"");
  CHECK_FALSE(incoming_device(boost::json::parse(R"({"ip":"  "})").as_object(), error));
}

TEST_CASE("deterministic ids are the core's generate_deterministic_device_id, pinned", "[inventory]") {
  // Computed independently:
  //   python3 -c 'import hashlib,uuid; h=bytearray(hashlib.sha256(S.encode()).digest()[:16]);
  //     h[6]=h[6]&0x0F|0x40; h[8]=h[8]&0x3F|0x80; print("sr:"+str(uuid.UUID(bytes=bytes(h))))'
  // S = "serviceradar-device-v3:partition:default:armis:42"
  auto a = parse(R"({"ip":"10.0.0.1","source":"armis","metadata":{"armis_device_id":"42"}})");
  CHECK(deterministic_id(a) == "sr:ace454dd-b817-4b58-9fab-a24c96564807");
  // S = "serviceradar-device-v3:partition:edge:agent:a1armis:42integration:42netbox:7mac:001122334455"
  auto all = parse(R"({"ip":"10.0.0.1","mac":"00:11:22:33:44:55","partition":"edge",
    "metadata":{"netbox_device_id":"7","armis_device_id":"42","integration_id":"42","agent_id":"a1"}})");
  CHECK(deterministic_id(all) == "sr:16451877-8124-4beb-9fd3-688e27977682");
  // S = "serviceradar-device-v3:partition:default:ip:10.0.0.1"
  auto ip_only = parse(R"({"ip":"10.0.0.1","source":"faker"})");
  CHECK(deterministic_id(ip_only) == "sr:e0631a87-8b9f-4201-9a11-2ff7067fbb64");
  // An empty partition seeds as "default" (ids_get_partition), the IP never with a strong id.
  auto b = parse(R"({"ip":"10.9.9.9","partition":"","source":"armis","metadata":{"armis_device_id":"42"}})");
  CHECK(deterministic_id(b) == deterministic_id(a));
  auto c = parse(R"({"ip":"10.0.0.1","source":"armis","partition":"p2","metadata":{"armis_device_id":"42"}})");
  CHECK(deterministic_id(c) != deterministic_id(a));
  // A mapper-like update's MAC still seeds its id.
  auto m = parse(R"({"ip":"10.0.0.1","mac":"00:11:22:33:44:55","source":"sweep"})");
  CHECK(deterministic_id(m) != deterministic_id(ip_only));
}
