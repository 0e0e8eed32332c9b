// Identity reconciliation into the canonical inventory, case by case, by the
// deployed core's rules (sync_ingestor.ex, identity_reconciler.ex): each case
// feeds device updates (as the wire carries them) to a fresh store and states
// the canonical records that must come out. The cases marked "old rules"
// came out differently under the gateway's former, stricter rules, which
// predicted a production the core does not have.
#include "tests/support/temp_dir.hpp"
#include "tools/agent-gateway/inventory/inventory_store.hpp"
#include "tools/agent-gateway/inventory/sqlite_db.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

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

TEST_CASE("which updates become one device: the core's rules, table", "[inventory][reconcile]") {
  struct Case {
    const char* name;
    std::vector<std::vector<std::string_view>> batches;  // applied in order, each one transaction
    std::uint64_t devices;
  };
  const std::vector<Case> cases = {
      // Old rules: integration ids scoped by integration_type, two devices.
      {"the same integration_id from an Armis and a NetBox update in one partition: ONE device",
       {{R"({"ip":"10.0.0.1","source":"armis","metadata":{"integration_id":"42","integration_type":"armis"}})"},
        {R"({"ip":"10.0.0.2","source":"netbox","metadata":{"integration_id":"42","integration_type":"netbox"}})"}},
       1},
      {"the same, in one batch",
       {{R"({"ip":"10.0.0.1","source":"armis","metadata":{"integration_id":"42","integration_type":"armis"}})",
         R"({"ip":"10.0.0.2","source":"netbox","metadata":{"integration_id":"42","integration_type":"netbox"}})"}},
       1},
      // Old rules: identifiers keyed without the partition, one device.
      {"the same armis_device_id in two partitions: two devices",
       {{R"({"ip":"10.0.1.1","partition":"east","source":"armis","metadata":{"armis_device_id":"7"}})"},
        {R"({"ip":"10.0.1.2","partition":"west","source":"armis","metadata":{"armis_device_id":"7"}})"}},
       2},
      {"different strong ids on different IPs, no shared MAC: apart",
       {{R"({"ip":"10.0.2.1","mac":"00:00:5e:00:00:01","source":"armis","metadata":{"armis_device_id":"1"}})",
         R"({"ip":"10.0.2.2","mac":"00:00:5e:00:00:02","source":"netbox","metadata":{"netbox_device_id":"2"}})"}},
       2},
      // Old rules: locally administered MACs identified nothing, two devices.
      {"different strong ids on different IPs sharing a (locally administered) MAC: one device",
       {{R"({"ip":"10.0.3.1","mac":"02:00:00:00:00:01","source":"armis","metadata":{"armis_device_id":"1"}})"},
        {R"({"ip":"10.0.3.2","mac":"02-00-00-00-00-01","source":"netbox","metadata":{"netbox_device_id":"2"}})"}},
       1},
      // Old rules: a re-used IP with another id of the same kind was a new device.
      {"no strong id match but the same IP: one device",
       {{R"({"ip":"10.0.4.1","source":"armis","metadata":{"armis_device_id":"1"}})"},
        {R"({"ip":"10.0.4.1","source":"armis","metadata":{"armis_device_id":"2"}})"}},
       1},
      // Old rules: the IP lookup was scoped by partition.
      {"the same IP in two partitions: one device (the core's IP lookup is tenant-wide)",
       {{R"({"ip":"10.0.5.1","partition":"east","source":"faker"})",
         R"({"ip":"10.0.5.1","partition":"west","source":"faker"})"}},
       1},
      {"no identifier at all, two IPs: two devices",
       {{R"({"ip":"10.0.6.1","source":"faker"})", R"({"ip":"10.0.6.2","source":"faker"})"}},
       2},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto store = fresh_store();
    for (const auto& batch : c.batches) apply(*store, "acme", batch);
    CHECK(store->count("acme") == c.devices);
  }
}

TEST_CASE("one MAC at two IPs is one device, at its latest IP", "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.0.0.1","mac":"00:11:22:33:44:55","source":"faker",
                           "timestamp":"2026-01-01T00:00:00Z"})"});
  auto r = apply(*store, "acme", {R"({"ip":"10.0.0.2","mac":"00-11-22-33-44-55","source":"armis",
                                     "timestamp":"2026-01-02T00:00:00Z"})"});
  CHECK(r.merged == 1);
  CHECK(r.rebound == 0);
  auto all = store->devices("acme");
  REQUIRE(all.size() == 1);
  CHECK(all[0].ip == "10.0.0.2");
  CHECK(all[0].mac == "00-11-22-33-44-55");  // as sent last
  CHECK(all[0].sources == std::set<std::string>{"armis", "faker"});
  CHECK(all[0].first_seen == "2026-01-01T00:00:00Z");
  CHECK(all[0].last_seen == "2026-01-02T00:00:00Z");
}

TEST_CASE("a strong id of device X at an IP held by device Y: the update lands on Y and the id is re-bound",
          "[inventory][reconcile]") {
  // Old rules: the strong id won, and X moved to the IP.
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.1.0.1","hostname":"x","source":"armis","metadata":{"armis_device_id":"1"}})",
                         R"({"ip":"10.1.0.2","hostname":"y","source":"netbox","metadata":{"netbox_device_id":"2"}})"});
  const auto x = store->devices("acme");
  REQUIRE(x.size() == 2);
  const auto x_id = by_ip(x, "10.1.0.1")->id, y_id = by_ip(x, "10.1.0.2")->id;
  auto r = apply(*store, "acme", {R"({"ip":"10.1.0.2","source":"armis","metadata":{"armis_device_id":"1","k":"v"}})"});
  CHECK(r.ip_remapped == 1);
  CHECK(r.rebound == 1);
  CHECK(r.merged == 1);
  auto all = store->devices("acme");
  REQUIRE(all.size() == 2);
  const auto* y = by_ip(all, "10.1.0.2");
  REQUIRE(y);
  CHECK(y->id == y_id);
  CHECK(y->metadata.at("k") == "v");
  CHECK(y->sources == std::set<std::string>{"armis", "netbox"});
  CHECK(y->identifiers == std::vector<BoundIdentifier>{{IdKind::armis_device_id, "1", "default"},
                                                       {IdKind::netbox_device_id, "2", "default"}});
  const auto* still_x = by_ip(all, "10.1.0.1");
  REQUIRE(still_x);
  CHECK(still_x->id == x_id);
  CHECK(still_x->identifiers.empty());  // its only identifier went to Y
  // From now on Armis device 1 is Y, wherever it is.
  apply(*store, "acme", {R"({"ip":"10.1.0.3","source":"armis","metadata":{"armis_device_id":"1"}})"});
  CHECK(store->device("acme", y_id)->ip == "10.1.0.3");
}

TEST_CASE("an Armis and a NetBox record at one IP become one device with both identities",
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
  // A present empty hostname is written over the stored one (the core's
  // COALESCE keeps only a missing field's value), and so is the name.
  CHECK(d.hostname.empty());
  CHECK(d.name.empty());
  CHECK(d.mac == "00:aa:bb:cc:dd:01");  // missing: kept
  CHECK(d.metadata.at("model") == "C9300");
  CHECK(d.metadata.at("site") == "hq");
  CHECK(d.metadata.at("integration_type") == "netbox");  // the last value wins
  CHECK(d.identifiers == std::vector<BoundIdentifier>{{IdKind::armis_device_id, "42", "default"},
                                                      {IdKind::integration_id, "42", "default"},
                                                      {IdKind::integration_id, "7", "default"},
                                                      {IdKind::netbox_device_id, "7", "default"},
                                                      {IdKind::mac, "00AABBCCDD01", "default"}});
  // Next run, NetBox alone, by its own id even at a new IP: still that device.
  apply(*store, "acme", {R"({"ip":"10.1.0.6","source":"netbox","metadata":{"netbox_device_id":"7"}})"});
  CHECK(store->count("acme") == 1);
  CHECK(store->devices("acme")[0].ip == "10.1.0.6");
}

TEST_CASE("a MAC reported by another known device moves to it: re-bound, the devices stay apart",
          "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.3.0.1","mac":"00:00:5e:00:00:01","source":"armis",
                            "metadata":{"armis_device_id":"1"}})",
                         R"({"ip":"10.3.0.2","source":"netbox","metadata":{"netbox_device_id":"2"}})"});
  REQUIRE(store->count("acme") == 2);
  // NetBox's device 2 now reports device 1's MAC: its own id names it first,
  // and the MAC's binding moves to it.
  auto r = apply(*store, "acme", {R"({"ip":"10.3.0.2","mac":"00:00:5e:00:00:01","source":"netbox",
                                     "metadata":{"netbox_device_id":"2"}})"});
  CHECK(r.rebound == 1);
  CHECK(r.merged == 1);
  auto all = store->devices("acme");
  REQUIRE(all.size() == 2);
  CHECK(by_ip(all, "10.3.0.1")->identifiers ==
        std::vector<BoundIdentifier>{{IdKind::armis_device_id, "1", "default"}});
  CHECK(by_ip(all, "10.3.0.2")->identifiers ==
        std::vector<BoundIdentifier>{{IdKind::netbox_device_id, "2", "default"},
                                     {IdKind::mac, "00005E000001", "default"}});
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
  CHECK(all[0].name == "10.4.0.1");  // the core's name is hostname || ip, and this update had no hostname
  CHECK(all[0].sources == std::set<std::string>{"faker", "sweep"});
}

TEST_CASE("_deleted is a metadata key like any other: sent again with another value it changes, "
          "left out it stays", "[inventory][reconcile]") {
  // Old rules: "_deleted": "true" was a retraction and never stored.
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.5.0.1","source":"netbox","is_available":true,
                            "metadata":{"netbox_device_id":"9"}})"});
  apply(*store, "acme", {R"({"ip":"10.5.0.1","source":"netbox","is_available":false,
                            "metadata":{"netbox_device_id":"9","_deleted":"true"}})"});
  auto d = store->devices("acme").at(0);
  CHECK(d.metadata.at("_deleted") == "true");
  CHECK(is_deleted(d));
  CHECK_FALSE(d.available);
  CHECK(d.sources == std::set<std::string>{"netbox"});  // sources are never removed
  CHECK(store->summary().at("acme").deleted == 1);

  SECTION("a later update with _deleted \"false\" stores \"false\"") {
    apply(*store, "acme", {R"({"ip":"10.5.0.1","source":"netbox","is_available":true,
                              "metadata":{"netbox_device_id":"9","_deleted":"false"}})"});
    d = store->devices("acme").at(0);
    CHECK(d.metadata.at("_deleted") == "false");
    CHECK_FALSE(is_deleted(d));
    CHECK(d.available);
  }
  SECTION("a later update without the key leaves \"true\": the agent must send the key") {
    apply(*store, "acme", {R"({"ip":"10.5.0.1","source":"netbox","is_available":true,
                              "metadata":{"netbox_device_id":"9"}})"});
    d = store->devices("acme").at(0);
    CHECK(d.metadata.at("_deleted") == "true");
    CHECK(is_deleted(d));
    CHECK(d.available);  // is_available is written over, _deleted is not
  }
  SECTION("a deleted-marked update of an unknown device creates it") {
    auto r = apply(*store, "acme", {R"({"ip":"10.5.9.9","source":"netbox",
                                       "metadata":{"netbox_device_id":"77","_deleted":"true"}})"});
    CHECK(r.created == 1);
    CHECK(store->count("acme") == 2);
  }
}

TEST_CASE("is_available missing reads as false and is written over a stored true", "[inventory][reconcile]") {
  // Old rules: a missing is_available meant available.
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.5.1.1","source":"armis","is_available":true,
                             "metadata":{"armis_device_id":"3"}})"});
  CHECK(store->devices("acme").at(0).available);
  apply(*store, "acme", {R"({"ip":"10.5.1.1","source":"armis","metadata":{"armis_device_id":"3"}})"});
  CHECK_FALSE(store->devices("acme").at(0).available);
  CHECK(store->summary().at("acme").unavailable == 1);
  apply(*store, "acme", {R"({"ip":"10.5.1.1","source":"armis","is_available":"false",
                             "metadata":{"armis_device_id":"3"}})"});
  CHECK(store->devices("acme").at(0).available);  // Elixir truthiness: the string "false" is true
}

TEST_CASE("a new device's id is the core's deterministic id", "[inventory][reconcile]") {
  // Old rules: a UUID version 8 over another input.
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.0.0.1","source":"armis","metadata":{"armis_device_id":"42"}})",
                         R"({"ip":"10.0.0.2","source":"faker"})"});
  // See device_identity_test for how these were computed.
  CHECK(store->device("acme", "sr:ace454dd-b817-4b58-9fab-a24c96564807"));
  CHECK_FALSE(store->device("acme", "sr:e0631a87-8b9f-4201-9a11-2ff7067fbb64"));  // that is 10.0.0.1's ip-only id
  CHECK(store->count("acme") == 2);
}

TEST_CASE("metadata merges key by key; tags are written when the device is created only",
          "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.8.0.1","source":"armis","tags":{"env":"lab"},
                            "metadata":{"armis_device_id":"1","a":"1","b":"1"}})"});
  apply(*store, "acme", {R"({"ip":"10.8.0.1","source":"armis","tags":{"env":"prod","x":"y"},
                            "metadata":{"armis_device_id":"1","b":"2","c":"3"}})"});
  auto d = store->devices("acme").at(0);
  CHECK(d.metadata == std::map<std::string, std::string>{{"armis_device_id", "1"}, {"a", "1"}, {"b", "2"}, {"c", "3"}});
  CHECK(d.tags == std::map<std::string, std::string>{{"env", "lab"}});  // the upsert's update list has no tags
}

TEST_CASE("device ids sent as sr:... and serviceradar:... name the device", "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"device_id":"sr:given","ip":"10.9.0.1","source":"armis"})",
                         R"({"device_id":"serviceradar:agent:edge-1","ip":"10.9.0.2","source":"agent",
                            "metadata":{"armis_device_id":"5"}})"});
  CHECK(store->device("acme", "sr:given"));
  CHECK(store->device("acme", "serviceradar:agent:edge-1"));
  // A strong id bound to a device wins over an sr: device_id...
  apply(*store, "acme", {R"({"device_id":"sr:other","ip":"10.9.0.3","source":"armis",
                             "metadata":{"armis_device_id":"5"}})"});
  CHECK_FALSE(store->device("acme", "sr:other"));
  CHECK(store->device("acme", "serviceradar:agent:edge-1")->ip == "10.9.0.3");
  // ...but a serviceradar: one is taken as it is.
  apply(*store, "acme", {R"({"device_id":"serviceradar:x","ip":"10.9.0.4","source":"agent",
                             "metadata":{"armis_device_id":"5"}})"});
  CHECK(store->device("acme", "serviceradar:x"));
  CHECK(store->count("acme") == 3);
}

TEST_CASE("a mapper-like update's MAC is neither looked up nor bound", "[inventory][reconcile]") {
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.10.0.1","mac":"00:00:5e:00:00:09","source":"sweep"})"});
  CHECK(store->devices("acme").at(0).identifiers.empty());
  // So Armis's device with that MAC is another one (a bound MAC would have named the first).
  apply(*store, "acme", {R"({"ip":"10.10.0.2","mac":"00:00:5e:00:00:09","source":"armis",
                            "metadata":{"armis_device_id":"1"}})"});
  CHECK(store->count("acme") == 2);
  // The sweep's next sighting at its IP stays where the IP is.
  auto r = apply(*store, "acme", {R"({"ip":"10.10.0.1","mac":"00:00:5e:00:00:09","source":"sweep"})"});
  CHECK(r.merged == 1);
  CHECK(store->count("acme") == 2);
}

TEST_CASE("two tenants with identical data never share a device", "[inventory][reconcile]") {
  auto store = fresh_store();
  const std::vector<std::string_view> same = {
      R"({"ip":"10.6.0.1","mac":"00:11:22:33:44:66","source":"armis","is_available":true,
          "metadata":{"armis_device_id":"5"}})"};
  apply(*store, "acme", same);
  apply(*store, "globex", same);
  CHECK(store->count("acme") == 1);
  CHECK(store->count("globex") == 1);
  apply(*store, "acme", {R"({"ip":"10.6.0.1","source":"armis","is_available":false,
                             "metadata":{"armis_device_id":"5"}})"});
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

TEST_CASE("a store of the former schema is recreated empty", "[inventory]") {
  sr::test::TempDir dir("sr-inventory-test");
  const auto file = dir.path / "inventory.db";
  {
    Database old;
    REQUIRE(old.open(file.string()).empty());
    REQUIRE(old.exec("CREATE TABLE devices (tenant TEXT NOT NULL, id TEXT NOT NULL, partition TEXT NOT NULL, "
                     "ip TEXT NOT NULL, mac TEXT NOT NULL, hostname TEXT NOT NULL, metadata TEXT NOT NULL, "
                     "sources TEXT NOT NULL, retracted TEXT NOT NULL, available INTEGER NOT NULL, "
                     "first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;"
                     "CREATE TABLE identifiers (tenant TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, "
                     "device TEXT NOT NULL, PRIMARY KEY (tenant, kind, value)) WITHOUT ROWID;"
                     "INSERT INTO devices VALUES ('acme','sr:old','default','10.0.0.1','','','{}','[]','[]',1,'','');")
                .empty());
  }
  auto store = InventoryStore::open(file);
  REQUIRE(store);
  CHECK((*store)->count("acme") == 0);
  apply(**store, "acme", {R"({"ip":"10.0.0.1","source":"armis","metadata":{"armis_device_id":"1"}})"});
  CHECK((*store)->count("acme") == 1);
  // Opened again (the gateway's second connection, a restart): kept.
  auto again = InventoryStore::open(file);
  REQUIRE(again);
  CHECK((*again)->count("acme") == 1);
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
                             std::to_string(n & 255) + "\",\"source\":\"armis\",\"is_available\":" +
                             (n % 2 ? "true" : "false") + ",\"metadata\":{\"armis_device_id\":\"" +
                             std::to_string(n) + "\"" + (n % 4 == 0 ? ",\"_deleted\":\"true\"" : "") + "}}"));
    }
    REQUIRE((*writer)->apply("acme", batch));
    const auto n = static_cast<std::uint64_t>((round + 1) * 10'000);
    CHECK((*reader)->count("acme") == n);
    CHECK((*reader)->counts_by_source("acme") == std::map<std::string, std::uint64_t>{{"armis", n}});
    const auto summary = (*reader)->summary();
    REQUIRE(summary.count("acme") == 1);
    CHECK(summary.at("acme").devices == n);
    CHECK(summary.at("acme").by_source.at("armis") == summary.at("acme").devices);
    CHECK(summary.at("acme").unavailable == n / 2);
    CHECK(summary.at("acme").deleted == n / 4);
  }
}

TEST_CASE("an IP names one device: stored devices never share one", "[inventory][reconcile]") {
  // Devices move between IPs and swap them (the faker's churn): every update
  // lands where its IP is, so no two devices ever hold one IP.
  auto store = fresh_store();
  apply(*store, "acme", {R"({"ip":"10.11.0.1","mac":"00:00:5e:00:01:01","source":"armis",
                             "metadata":{"armis_device_id":"1"}})",
                         R"({"ip":"10.11.0.2","mac":"00:00:5e:00:01:02","source":"armis",
                             "metadata":{"armis_device_id":"2"}})"});
  auto r = apply(*store, "acme",
                 {R"({"ip":"10.11.0.2","mac":"00:00:5e:00:01:01","source":"armis",
                      "metadata":{"armis_device_id":"1"}})",
                  R"({"ip":"10.11.0.1","mac":"00:00:5e:00:01:02","source":"armis",
                      "metadata":{"armis_device_id":"2"}})"});
  CHECK(r.ip_remapped == 2);
  CHECK(r.rebound == 4);  // each update's two identifiers moved to the device at its IP
  auto all = store->devices("acme");
  REQUIRE(all.size() == 2);
  CHECK(all[0].ip != all[1].ip);
  // Each device now carries the other's identity: what production would show.
  CHECK(by_ip(all, "10.11.0.1")->identifiers ==
        std::vector<BoundIdentifier>{{IdKind::armis_device_id, "2", "default"},
                                     {IdKind::mac, "00005E000102", "default"}});
}

TEST_CASE("inventory.db and its -wal/-shm are 0600 whatever the umask", "[inventory][durable]") {
  namespace fs = std::filesystem;
  // umask 0: left to SQLite's default (0644) and the umask, the files would be world-readable.
  struct OpenUmask {
    mode_t old = ::umask(0);
    ~OpenUmask() { ::umask(old); }
  } umask0;
  constexpr auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;
  sr::test::TempDir dir("sr-inventory-test");
  const auto file = dir.path / "inventory.db";
  {
    auto store = InventoryStore::open(file);
    REQUIRE(store);
    apply(**store, "acme", {R"({"ip":"10.9.0.1","source":"armis","metadata":{"armis_device_id":"9"}})"});
    for (const char* name : {"inventory.db", "inventory.db-wal", "inventory.db-shm"}) {
      INFO(name);
      REQUIRE(fs::exists(dir.path / name));
      CHECK(fs::status(dir.path / name).permissions() == kPrivate);
    }
  }
  // Files an earlier version left world-readable are narrowed when opened again.
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  std::ofstream(dir.path / "inventory.db-journal");
  fs::permissions(dir.path / "inventory.db-journal", fs::perms::all);
  auto again = InventoryStore::open(file);
  REQUIRE(again);
  CHECK((*again)->count("acme") == 1);
  CHECK(fs::status(file).permissions() == kPrivate);
  CHECK(fs::status(dir.path / "inventory.db-journal").permissions() == kPrivate);
}
