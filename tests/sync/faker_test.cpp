// The faker inventory: deterministic by seed, unique IPs, churn by share,
// realistic field sizes; and its mapping as a source.
#include "contract/faker_inventory.hpp"
#include "sync/adapters/faker/faker_source.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>
#include <set>
#include <stdexcept>

using namespace sr::sync;
using namespace sr::sync::faker;
using namespace sr::contract::faker;

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

TEST_CASE("the last slot is 10.255.255.254; past it is an error, not a wrap", "[sync][faker]") {
  CHECK(kSlotCount == ((1u << 20) - 2) + ((1u << 24) - 2));
  CHECK(slot_ip(kSlotCount - 1) == "10.255.255.254");
  CHECK(slot_ip(kSlotCount - 2) == "10.255.255.253");
  CHECK_THROWS_WITH(slot_ip(kSlotCount), Catch::Contains("slot 17825788 is out of range"));
  CHECK_THROWS_AS(slot_ip(~std::uint64_t{0}), std::out_of_range);
  CHECK(check_slots({kSlotCount, 1, 0.05, 0}).empty());
  CHECK(check_slots({10, 1, 0.05, kSlotCount - 10}).empty());
  CHECK(check_slots({11, 1, 0.05, kSlotCount - 10}) ==
        "11 devices from IP slot 17825778 do not fit: there are 17825788 slots "
        "(172.16.0.0/12 and 10.0.0.0/8)");
  CHECK_FALSE(check_slots({1, 1, 0.05, ~std::uint64_t{0}}).empty());  // no overflow
  Inventory last({2, 1, 0.0, kSlotCount - 2});
  CHECK(last.ip_of(1, 0) == "10.255.255.254");
  Inventory over({3, 1, 0.0, kSlotCount - 2});
  CHECK(over.ip_of(1, 0) == "10.255.255.254");
  CHECK_THROWS_AS(over.ip_of(2, 0), std::out_of_range);
  CHECK_THROWS_AS(over.device(2, 0), std::out_of_range);
}

TEST_CASE("first_slot: the same ids on other boxes; churn stays inside the inventory",
          "[sync][faker]") {
  constexpr std::uint64_t n = 20001;
  Inventory a({n, 4, 0.3}), b({n, 4, 0.3, n});
  CHECK(b.first_slot() == n);
  CHECK(b.ip_of(0, 0) == slot_ip(n));
  CHECK(b.ip_of(n - 1, 0) == slot_ip(2 * n - 1));
  Inventory far({5, 4, 0.3, (1u << 20) - 3});  // across the /12's end into 10.0.0.0/8
  CHECK(far.ip_of(0, 0) == "172.31.255.254");
  CHECK(far.ip_of(1, 0) == "10.0.0.1");
  for (std::uint64_t epoch : {0u, 1u, 2u}) {
    std::set<std::string> in_a, in_b;
    std::uint64_t moved = 0;
    std::uint64_t same_ids = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      same_ids += a.device(i, epoch, false).id == b.device(i, epoch, false).id;
      in_a.insert(a.ip_of(i, epoch));
      const auto ip = b.ip_of(i, epoch);
      in_b.insert(ip);
      moved += ip != slot_ip(n + i);
    }
    CHECK(same_ids == n);
    CHECK(in_a.size() == n);  // unique within each inventory
    CHECK(in_b.size() == n);
    std::set<std::string> own_b;
    for (std::uint64_t s = n; s < 2 * n; ++s) own_b.insert(slot_ip(s));
    CHECK(in_b == own_b);  // b's IPs are exactly its own slots, whatever the epoch
    std::uint64_t shared = 0;
    for (const auto& ip : in_a) shared += in_b.count(ip);
    CHECK(shared == 0);  // other boxes
    if (epoch == 0) CHECK(moved == 0);
    else CHECK(moved > n / 5);  // churn happened, within b
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

TEST_CASE("first MACs never repeat within an inventory, over a million devices", "[sync][faker]") {
  // The platform identifies devices by MAC: random ones collided by the
  // birthday bound (seed 1 had two of a million sharing one).
  Inventory inv({1'000'000, 1, 0.05});
  std::vector<std::string> macs;
  macs.reserve(1'000'000);
  for (std::uint64_t i = 0; i < 1'000'000; ++i) macs.push_back(inv.device(i, 0, false).macs.front());
  std::sort(macs.begin(), macs.end());
  CHECK(std::adjacent_find(macs.begin(), macs.end()) == macs.end());
  CHECK(macs.front().substr(0, 3) == "02:");  // locally administered, as before
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

TEST_CASE("a faker device maps with Armis-like fields but claims no identifier a real source sends",
          "[sync][faker]") {
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
  CHECK(d.is_available == true);
  CHECK(d.source == "integration");  // not "armis": the core counts discovery sources by it
  bool has_type = false;
  for (const auto& [k, v] : d.metadata) {
    // Strong identifiers in the core: a synthetic device claims none of them.
    for (auto strong : {"agent_id", "armis_device_id", "integration_id", "netbox_device_id"}) CHECK(k != strong);
    if (k == "integration_type") has_type = v == "faker";
  }
  CHECK(has_type);
}

namespace {

std::string mapped_body(const FakeDevice& raw, const RunInfo& info) {
  DeviceUpdate d;
  FakerSource::map(raw, info, d);
  std::string out;
  append_device_body(out, d);
  return out;
}

}  // namespace

TEST_CASE("a run's bodies are written straight from the inventory, byte for byte the mapped ones",
          "[sync][faker][encode]") {
  RunInfo info;
  info.partition = "edge \"west\"\\1";
  info.agent_id = "agent-1";
  info.timestamp = "2026-12-02T00:00:00.000000000Z";
  SECTION("the inventory, over runs with churn") {
    Inventory inv({3000, 7, 0.2});
    for (std::uint64_t run = 0; run < 3; ++run) {
      info.run_number = run;
      EncodedBatch batch;
      for (std::uint64_t i = 0; i < inv.size(); ++i) FakerSource::encode(inv.device(i, run, false), info, batch);
      REQUIRE(batch.size() == inv.size());
      for (std::uint64_t i = 0; i < inv.size(); ++i) {
        const auto raw = inv.device(i, run, false);
        REQUIRE(batch.body(i) == mapped_body(raw, info));
        REQUIRE(batch.ip(i) == raw.ip);
      }
    }
  }
  SECTION("odd devices: empty fields, no MAC, tags empty or with quotes, no risk") {
    std::vector<FakeDevice> odd(6);
    odd[0].ip = "10.0.0.1";
    odd[1] = {2, "10.0.0.2", {"AA:BB:CC:DD:EE:FF"}, "n\"a\\me\n", "t", "", "m\u00e9", "", "", "b", {"", "x,y", ""}, 3};
    odd[2] = {3, "10.0.0.3", {}, "", "", "", "", "", "", "", {"", ""}, 0};
    odd[3] = {4, "10.0.0.4", {}, "h", "", "", "", "", "", "", {"a", "", "b"}, -1};
    odd[4] = {5, "fd00::5", {"00:11:22:33:44:55", "66:77:88:99:AA:BB"}, "v6", "", "", "", "", "", "", {"q\"t"}, 9};
    odd[5] = {6, "10.0.0.6", {}, "", "", "", "", "", "", "", {"only"}, 1};
    EncodedBatch batch;
    for (const auto& d : odd) FakerSource::encode(d, info, batch);
    REQUIRE(batch.size() == odd.size());
    for (std::size_t i = 0; i < odd.size(); ++i) CHECK(batch.body(i) == mapped_body(odd[i], info));
  }
}
