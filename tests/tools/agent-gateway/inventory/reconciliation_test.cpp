// Identity reconciliation into the canonical inventory, case by case: each
// case feeds device updates (as the wire carries them) to a fresh store and
// states the canonical records that must come out.
#include "tests/support/temp_dir.hpp"
#include "tools/agent-gateway/inventory/inventory_store.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace sr::gateway::inventory;

namespace {

IncomingDevice update(std::string_view text) {
  std::string error;
  auto d = incoming_device(boost::json::parse(text).as_object(), error);
  if (!d) FAIL(error);
  return *d;
}

std::unique_ptr<InventoryStore> fresh_store() {
  auto s = InventoryStore::open(":memory:");
  REQUIRE(s);
  return std::move(*s);
}

ApplyResult apply(InventoryStore& store, const std::string& tenant, std::vector<std::string_view> updates) {
  std::vector<IncomingDevice> batch;
  for (auto u : updates) batch.push_back(update(u));
  auto r = store.apply(tenant, batch);
  REQUIRE(r);
  return *r;
}

const CanonicalDevice* by_ip(const std::vector<CanonicalDevice>& all, const std::string& ip) {
  for (const auto& d : all)
    if (d.ip == ip) return &d;
  return nullptr;
}

}  // namespace

TEST_CASE("one MAC at two IPs is one device, at its latest IP", "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.0.0.1","mac":"00:11:22:33:44:55","source":"faker",
                           "timestamp":"2026-01-01T00:00:00Z"})"});
  auto r = apply(*store, "acme", {R"({"ip":"10.0.0.2","mac":"00-11-22-33-44-55","source":"armis",
                                     "timestamp":"2026-01-02T00:00:00Z"})"});
  CHECK(r.merged == 1);
  auto all = store->devices("acme");
  REQUIRE(all.size() == 1);
  CHECK(all[0].ip == "10.0.0.2");
  CHECK(all[0].sources == std::set<std::string>{"armis", "faker"});
  CHECK(all[0].first_seen == "2026-01-01T00:00:00Z");
  CHECK(all[0].last_seen == "2026-01-02T00:00:00Z");
}

TEST_CASE("one IP with two Armis ids is two devices: a re-used address is a new device",
          "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.0.0.9","source":"armis","metadata":{"armis_device_id":"1"}})",
                         R"({"ip":"10.0.0.9","source":"armis","metadata":{"armis_device_id":"2"}})"});
  CHECK(store->count("acme") == 2);
}

TEST_CASE("an Armis and a NetBox record of one box become one device with both identities",
          "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.1.0.5","mac":"00:aa:bb:cc:dd:01","hostname":"sw-core","source":"armis",
      "metadata":{"armis_device_id":"42","integration_id":"42","integration_type":"armis","model":"C9300"}})"});
  apply(*store, "acme", {R"({"ip":"10.1.0.5","hostname":"","source":"netbox",
      "metadata":{"netbox_device_id":"7","integration_id":"7","integration_type":"netbox","site":"hq"}})"});
  auto all = store->devices("acme");
  REQUIRE(all.size() == 1);
  const auto& d = all[0];
  CHECK(d.sources == std::set<std::string>{"armis", "netbox"});
  CHECK(d.hostname == "sw-core");  // an empty field never erases a known one
  CHECK(d.metadata.at("model") == "C9300");
  CHECK(d.metadata.at("site") == "hq");
  CHECK(d.identifiers == std::vector<Identifier>{{IdKind::armis_device_id, "42"},
                                                 {IdKind::integration_id, "armis:42"},
                                                 {IdKind::integration_id, "netbox:7"},
                                                 {IdKind::netbox_device_id, "7"},
                                                 {IdKind::mac, "00AABBCCDD01"}});
  // Next run, NetBox alone, by its own id even at a new IP: still that device.
  apply(*store, "acme", {R"({"ip":"10.1.0.6","source":"netbox","metadata":{"netbox_device_id":"7"}})"});
  CHECK(store->count("acme") == 1);
  CHECK(store->devices("acme")[0].ip == "10.1.0.6");
}

TEST_CASE("locally administered MACs identify nothing: two phones sharing one stay apart",
          "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.2.0.1","mac":"02:00:00:00:00:01","source":"faker"})",
                         R"({"ip":"10.2.0.2","mac":"02:00:00:00:00:01","source":"faker"})"});
  CHECK(store->count("acme") == 2);
}

TEST_CASE("a MAC never merges two existing devices", "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.3.0.1","mac":"00:00:5e:00:00:01","source":"armis",
                            "metadata":{"armis_device_id":"1"}})",
                         R"({"ip":"10.3.0.2","source":"netbox","metadata":{"netbox_device_id":"2"}})"});
  REQUIRE(store->count("acme") == 2);
  // NetBox's device 2 now reports device 1's MAC: it stays device 2, the MAC stays with device 1.
  auto r = apply(*store, "acme", {R"({"ip":"10.3.0.2","mac":"00:00:5e:00:00:01","source":"netbox",
                                     "metadata":{"netbox_device_id":"2"}})"});
  CHECK(r.conflicts == 1);
  CHECK(r.merged == 1);
  auto all = store->devices("acme");
  REQUIRE(all.size() == 2);
  const auto* one = by_ip(all, "10.3.0.1");
  REQUIRE(one);
  CHECK(one->sources == std::set<std::string>{"armis"});
  CHECK(std::count(one->identifiers.begin(), one->identifiers.end(), Identifier{IdKind::mac, "00005E000001"}) == 1);
}

TEST_CASE("updates with one IP in one batch and no strong identifier become one device",
          "[inventory][reconcile]") {
  auto store = fresh_store();
  auto r = apply(*store, "acme", {R"({"ip":"10.4.0.1","hostname":"a","source":"faker"})",
                                  R"({"ip":"10.4.0.1","source":"sweep","metadata":{"open_ports":"22"}})"});
  CHECK(r.created == 1);
  CHECK(r.merged == 1);
  auto all = store->devices("acme");
  REQUIRE(all.size() == 1);
  CHECK(all[0].hostname == "a");
  CHECK(all[0].sources == std::set<std::string>{"faker", "sweep"});
}

TEST_CASE("retractions remove their source; with none left the device is unavailable, not erased",
          "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.5.0.1","source":"armis","metadata":{"armis_device_id":"9"}})",
                         R"({"ip":"10.5.0.1","source":"netbox","metadata":{"netbox_device_id":"9"}})"});
  REQUIRE(store->count("acme") == 1);
  auto r = apply(*store, "acme", {R"({"ip":"10.5.0.1","source":"netbox","is_available":false,
                                     "metadata":{"netbox_device_id":"9","_deleted":"true"}})"});
  CHECK(r.retracted == 1);
  auto d = store->devices("acme").at(0);
  CHECK(d.sources == std::set<std::string>{"armis"});
  CHECK(d.retracted == std::set<std::string>{"netbox"});
  CHECK(d.available);
  apply(*store, "acme", {R"({"ip":"10.5.0.1","source":"armis","metadata":{"armis_device_id":"9","_deleted":"true"}})"});
  d = store->devices("acme").at(0);
  CHECK(d.sources.empty());
  CHECK_FALSE(d.available);
  // A retraction of a device nobody knows creates nothing.
  r = apply(*store, "acme", {R"({"ip":"10.5.9.9","source":"netbox","metadata":{"netbox_device_id":"77","_deleted":"true"}})"});
  CHECK(r.retractions_ignored == 1);
  CHECK(store->count("acme") == 1);
  // The source reporting it again brings it back.
  apply(*store, "acme", {R"({"ip":"10.5.0.1","source":"netbox","metadata":{"netbox_device_id":"9"}})"});
  d = store->devices("acme").at(0);
  CHECK(d.available);
  CHECK(d.retracted == std::set<std::string>{"armis"});
}

TEST_CASE("two tenants with identical data never share a device", "[inventory][reconcile]") {
  auto store = fresh_store();
  const std::vector<std::string_view> same = {
      R"({"ip":"10.6.0.1","mac":"00:11:22:33:44:66","source":"armis","metadata":{"armis_device_id":"5"}})"};
  apply(*store, "acme", same);
  apply(*store, "globex", same);
  CHECK(store->count("acme") == 1);
  CHECK(store->count("globex") == 1);
  apply(*store, "acme", {R"({"ip":"10.6.0.1","source":"armis","metadata":{"armis_device_id":"5","_deleted":"true"}})"});
  CHECK_FALSE(store->devices("acme").at(0).available);
  CHECK(store->devices("globex").at(0).available);  // untouched
  CHECK(store->tenants() == std::vector<std::string>{"acme", "globex"});
}

TEST_CASE("counts per source and persistence across reopening the database file", "[inventory][reconcile]") {
  sr::test::TempDir dir("sr-inventory-test");
  const auto file = dir.path / "inventory.db";
  {
    auto store = InventoryStore::open(file);
    REQUIRE(store);
    std::vector<IncomingDevice> batch;
    for (int i = 0; i < 500; ++i)
      batch.push_back(update("{\"ip\":\"10.7.0." + std::to_string(i % 250) + "\",\"source\":\"" +
                             (i < 250 ? "armis" : "netbox") + "\"}"));
    REQUIRE((*store)->apply("acme", batch));
  }
  auto store = InventoryStore::open(file);
  REQUIRE(store);
  CHECK((*store)->count("acme") == 250);
  CHECK((*store)->counts_by_source("acme") == std::map<std::string, std::uint64_t>{{"armis", 250}, {"netbox", 250}});
}

TEST_CASE("an unusable database path is an error naming it", "[inventory]") {
  auto store = InventoryStore::open("/nonexistent-dir/x/inventory.db");
  REQUIRE_FALSE(store);
  CHECK_THAT(store.error(), Catch::Contains("/nonexistent-dir/x/inventory.db"));
}

TEST_CASE("a second connection reads what the writer committed, counts per source included",
          "[inventory][reconcile]") {
  sr::test::TempDir dir("sr-inventory-test");
  const auto file = dir.path / "inventory.db";
  auto writer = InventoryStore::open(file);
  auto reader = InventoryStore::open(file);
  REQUIRE(writer);
  REQUIRE(reader);
  for (int round = 0; round < 2; ++round) {
    std::vector<IncomingDevice> batch;
    for (int i = 0; i < 10'000; ++i) {
      const int n = round * 10'000 + i;
      batch.push_back(update("{\"ip\":\"10." + std::to_string(n >> 16) + "." + std::to_string((n >> 8) & 255) + "." +
                             std::to_string(n & 255) + "\",\"source\":\"armis\",\"metadata\":{\"armis_device_id\":\"" +
                             std::to_string(n) + "\"}}"));
    }
    REQUIRE((*writer)->apply("acme", batch));
    CHECK((*reader)->count("acme") == static_cast<std::uint64_t>((round + 1) * 10'000));
    CHECK((*reader)->counts_by_source("acme") ==
          std::map<std::string, std::uint64_t>{{"armis", static_cast<std::uint64_t>((round + 1) * 10'000)}});
    const auto summary = (*reader)->summary();
    REQUIRE(summary.count("acme") == 1);
    CHECK(summary.at("acme").devices == static_cast<std::uint64_t>((round + 1) * 10'000));
    CHECK(summary.at("acme").by_source.at("armis") == summary.at("acme").devices);
  }
}
