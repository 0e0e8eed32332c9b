// The faker inventory: deterministic by seed, unique IPs, churn by share,
// realistic field sizes; and its mapping as a source.
#include "sync/adapters/faker/faker_inventory.hpp"
#include "sync/adapters/faker/faker_source.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>

using namespace sr::sync;
using namespace sr::sync::faker;

TEST_CASE("same seed, same inventory; another seed, another", "[sync][faker]") {
  Inventory a({1000, 7, 0.05}), b({1000, 7, 0.05}), c({1000, 8, 0.05});
  int differ = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    auto da = a.device(i, 0), db = b.device(i, 0), dc = c.device(i, 0);
    CHECK(da.name == db.name);
    CHECK(da.macs == db.macs);
    CHECK(da.tags == db.tags);
    differ += da.name != dc.name;
  }
  CHECK(differ > 500);
}

TEST_CASE("IPs follow the index from 172.16.0.1 and stay unique", "[sync][faker]") {
  CHECK(slot_ip(0) == "172.16.0.1");
  CHECK(slot_ip(255) == "172.16.1.0");
  CHECK(slot_ip((1u << 20) - 3) == "172.31.255.254");
  CHECK(slot_ip((1u << 20) - 2) == "10.0.0.1");  // past the /12
  Inventory inv({20001, 1, 0.05});
  for (std::uint64_t epoch : {0u, 1u, 2u}) {
    std::set<std::string> ips;
    for (std::uint64_t i = 0; i < inv.size(); ++i) ips.insert(inv.ip_of(i, epoch));
    CHECK(ips.size() == inv.size());
  }
}

TEST_CASE("churn: about the configured share changes IP per epoch, none in epoch 0", "[sync][faker]") {
  Inventory inv({100000, 3, 0.05});
  std::uint64_t moved0 = 0, moved1 = 0;
  for (std::uint64_t i = 0; i < inv.size(); ++i) {
    moved0 += inv.ip_of(i, 0) != slot_ip(i);
    moved1 += inv.ip_of(i, 1) != slot_ip(i);
  }
  CHECK(moved0 == 0);
  CHECK(moved1 > 4500);
  CHECK(moved1 < 5500);
  Inventory still({1000, 3, 0.0});
  for (std::uint64_t i = 0; i < 1000; ++i) CHECK(still.ip_of(i, 5) == slot_ip(i));
}

TEST_CASE("devices look real: names, 1..200 MACs, tags", "[sync][faker]") {
  Inventory inv({5000, 1, 0.05});
  const std::regex name("FAKER-[A-Z]+-[A-Z-]+-[0-9]{5}");
  const std::regex mac("([0-9A-F]{2}:){5}[0-9A-F]{2}");
  std::size_t most = 0, with_tags = 0;
  for (std::uint64_t i = 0; i < inv.size(); ++i) {
    auto d = inv.device(i, 0);
    CHECK(std::regex_match(d.name, name));
    REQUIRE(!d.macs.empty());
    CHECK(d.macs.size() <= 200);
    CHECK(std::regex_match(d.macs.front(), mac));
    most = std::max(most, d.macs.size());
    with_tags += !d.tags.empty();
    CHECK(d.id == i + 1);
  }
  CHECK(most > 50);  // hubs with many interfaces exist
  CHECK(with_tags > 4000);
}

TEST_CASE("faker options come from keys or credentials; bad values name the key", "[sync][faker]") {
  SourceConfig s;
  s.name = "f";
  s.type = "faker";
  s.options["total_devices"] = "123";
  s.credentials["seed"] = "9";
  auto o = faker_options(s);
  REQUIRE(o);
  CHECK(o->inventory.total_devices == 123);
  CHECK(o->inventory.seed == 9);
  CHECK(o->inventory.churn == Approx(0.05));
  s.options["churn"] = "2";
  auto bad = faker_options(s);
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == "churn must be a number from 0 to 1, not \"2\"");
}

TEST_CASE("a faker device maps like an Armis device, without agent_id in metadata", "[sync][faker]") {
  Inventory inv({10, 1, 0});
  RunInfo info;
  info.agent_id = "agent-1";
  info.partition = "edge";
  info.timestamp = "t";
  DeviceUpdate d;
  FakerSource::map(inv.device(0, 0, false), info, d);
  CHECK(d.ip == "172.16.0.1");
  CHECK(d.device_id == "edge:172.16.0.1");
  CHECK(d.partition == "edge");
  CHECK(d.agent_id == "agent-1");
  CHECK(!d.mac.empty());
  CHECK_FALSE(d.is_available.has_value());
  bool has_type = false;
  for (const auto& [k, v] : d.metadata) {
    CHECK(k != "agent_id");
    if (k == "integration_type") has_type = v == "faker";
  }
  CHECK(has_type);
}
