// What the HTTPS sources hold per device for the length of a run: the Armis
// merge store and NetBox's lists of seen devices. Each entry as small as it
// can be, measured in heap bytes per device (glibc's mallinfo2) against the
// node-based maps they replaced; and a cap past which the store refuses.
#include "sync/adapters/armis/merge_store.hpp"
#include "contract/faker_inventory.hpp"
#include "sync/adapters/netbox/seen_devices.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <malloc.h>
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizer runtimes' allocator statistics (gcc ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <unordered_map>

using namespace sr::sync;

namespace {

// Heap bytes in use now (glibc: allocated chunks with malloc's own headers,
// plus the big blocks it maps on their own, such as a hash table's slots).
// Under a sanitizer, whose allocator replaces glibc's (mallinfo2 reads 0),
// its own count of bytes allocated.
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return __sanitizer_get_current_allocated_bytes();
#else
  const auto m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
#endif
}

// An Armis device as the fake Armis API describes device `i` (one MAC).
armis::ArmisDevice armis_device(const sr::contract::faker::Inventory& inv, std::uint64_t i) {
  auto f = inv.device(i, 0, false);
  armis::ArmisDevice d;
  d.id = static_cast<std::int64_t>(f.id);
  d.ip_address = f.ip;
  d.mac_address = f.macs.empty() ? "" : f.macs.front();
  d.name = f.name;
  d.type = f.type;
  d.category = f.category;
  d.manufacturer = f.manufacturer;
  d.model = f.model;
  d.operating_system = f.os;
  d.boundaries = f.boundaries;
  d.first_seen = "2026-01-01T00:00:00+00:00";
  d.last_seen = "2026-11-25T00:00:00+00:00";
  d.risk_level = f.risk_level;
  d.tags = f.tags;
  return d;
}

constexpr std::uint64_t kMeasured = 200'000;

}  // namespace

TEST_CASE("a merged Armis device survives its compact form", "[sync][armis][bound]") {
  const std::vector<std::string> labels{"cams", "", "all"};
  armis::ArmisDevice a;
  a.id = 42;
  a.ip_address = "10.0.0.1, 10.0.0.2";
  a.mac_address = "aa-bb-cc-dd-ee-ff";
  a.name = "cam-1";
  a.type = "Camera";
  a.risk_level = 9;
  a.tags = {"x", "y"};
  auto g = armis::gather(std::move(a), "cams");
  armis::ArmisDevice more;
  more.ip_address = "2001:db8::1";
  more.model = std::string(300, 'm');  // longer than one varint byte
  more.tags = {"y", "z"};
  armis::merge(g, std::move(more), "all");
  const auto back = armis::decode(armis::encode(g, labels), 42, labels);
  CHECK(back.raw.id == 42);
  CHECK(back.ips == std::vector<std::string>{"10.0.0.1", "10.0.0.2", "2001:db8::1"});
  CHECK(back.mac == "AA:BB:CC:DD:EE:FF");
  CHECK(back.raw.name == "cam-1");
  CHECK(back.raw.type == "Camera");
  CHECK(back.raw.model == std::string(300, 'm'));
  CHECK(back.raw.risk_level == 9);
  CHECK(back.tags == std::vector<std::string>{"x", "y", "z"});
  CHECK(back.labels == std::vector<std::string>{"cams", "all"});
  g.raw.risk_level = -3;  // an int: a negative one survives too
  CHECK(armis::decode(armis::encode(g, labels), 42, labels).raw.risk_level == -3);
}

TEST_CASE("the merge store merges by id up to its cap, then refuses new devices and keeps merging held ones",
          "[sync][armis][bound]") {
  const sr::contract::faker::Inventory inv({1000, 3, 0.05});
  armis::MergeStore store({"q1", "q2"}, 100);
  std::uint64_t refused = 0;
  for (std::uint64_t i = 0; i < 300; ++i) {
    auto d = armis_device(inv, i);
    if (!store.add(d, 0)) {
      ++refused;
      CHECK(d.id);                  // left for the caller to send
      CHECK(d.ip_address == inv.ip_of(i, 0));
    }
  }
  CHECK(store.size() == 100);
  CHECK(refused == 200);
  for (std::uint64_t i = 0; i < 300; ++i) {  // the second query: same devices
    auto d = armis_device(inv, i);
    CHECK(store.add(d, 1) == (i < 100));
  }
  CHECK(store.size() == 100);
  std::uint64_t out = 0;
  while (auto g = store.next()) {
    ++out;
    CHECK(g->labels == std::vector<std::string>{"q1", "q2"});
    REQUIRE(g->raw.id);
    CHECK(g->ips.front() == inv.ip_of(static_cast<std::uint64_t>(*g->raw.id - 1), 0));
  }
  CHECK(out == 100);
  CHECK_FALSE(store.next());
  CHECK(store.size() == 0);
}

TEST_CASE("bytes per device: the Armis merge store against the node map it replaced",
          "[sync][armis][bound][measure]") {
  const sr::contract::faker::Inventory inv({kMeasured, 3, 0.05});
  std::size_t before_bytes = 0, after_bytes = 0;
  {
    const auto start = heap_in_use();
    std::unordered_map<std::int64_t, armis::GatheredDevice> merged;  // before
    for (std::uint64_t i = 0; i < kMeasured; ++i) {
      auto d = armis_device(inv, i);
      const auto id = *d.id;
      merged.try_emplace(id, armis::gather(std::move(d), "q1"));
    }
    before_bytes = heap_in_use() - start;
  }
  {
    const auto start = heap_in_use();
    armis::MergeStore store({"q1", "q2"}, kMeasured);
    for (std::uint64_t i = 0; i < kMeasured; ++i) {
      auto d = armis_device(inv, i);
      store.add(d, 0);
    }
    after_bytes = heap_in_use() - start;
  }
  const double before = double(before_bytes) / kMeasured, after = double(after_bytes) / kMeasured;
  WARN("Armis merge, heap bytes per device over " << kMeasured << " faker devices: unordered_map<id, "
       "GatheredDevice> " << before << ", MergeStore " << after);
  CHECK(after * 2 < before);
}

TEST_CASE("NetBox seen lists: 25 bytes a device, IPs as sent, last IP per id wins, vanished by id",
          "[sync][netbox][bound]") {
  using netbox::SeenDevice;
  STATIC_REQUIRE(sizeof(SeenDevice) == 25);
  for (const char* ip : {"10.0.0.1", "2001:db8::1", "::ffff:1.2.3.4", "fd00::10"}) {
    auto d = SeenDevice::make(-7, ip);
    REQUIRE(d);
    CHECK(d->id() == -7);
    CHECK(d->ip() == ip);
  }
  CHECK_FALSE(SeenDevice::make(1, "10.0.0.1/24"));
  CHECK_FALSE(SeenDevice::make(1, ""));

  netbox::SeenList current{*SeenDevice::make(3, "10.0.0.3"), *SeenDevice::make(1, "10.0.0.1"),
                           *SeenDevice::make(3, "10.0.0.33")};
  netbox::settle(current);
  REQUIRE(current.size() == 2);
  CHECK(current[1].ip() == "10.0.0.33");
  netbox::SeenList previous{*SeenDevice::make(1, "10.0.0.1"), *SeenDevice::make(2, "10.0.0.2"),
                            *SeenDevice::make(3, "10.0.0.3")};
  netbox::settle(previous);
  const auto gone = netbox::vanished(previous, current);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].id() == 2);

  sr::test::TempDir dir("sr-seen");
  const auto file = dir.path / "x.seen";
  REQUIRE(netbox::save_seen(file, previous).empty());
  auto loaded = netbox::load_seen(file, 3);
  REQUIRE(loaded);
  CHECK(loaded->size() == 3);
  CHECK((*loaded)[2].ip() == "10.0.0.3");
  auto over = netbox::load_seen(file, 2);
  REQUIRE_FALSE(over);
  CHECK(over.error().find("lists more than 2 devices (max_seen_devices)") != std::string::npos);
}

TEST_CASE("bytes per device: NetBox's seen list against the std::map it replaced",
          "[sync][netbox][bound][measure]") {
  std::size_t before_bytes = 0, after_bytes = 0;
  auto ip = [](std::uint64_t i) { return sr::contract::faker::slot_ip(i); };
  {
    const auto start = heap_in_use();
    std::map<std::int64_t, std::string> seen;  // before
    for (std::uint64_t i = 0; i < kMeasured; ++i) seen[static_cast<std::int64_t>(i)] = ip(i);
    before_bytes = heap_in_use() - start;
  }
  {
    const auto start = heap_in_use();
    netbox::SeenList seen;
    seen.reserve(kMeasured);  // as a run does from the first page's count
    for (std::uint64_t i = 0; i < kMeasured; ++i)
      seen.push_back(*netbox::SeenDevice::make(static_cast<std::int64_t>(i), ip(i)));
    netbox::settle(seen);
    after_bytes = heap_in_use() - start;
  }
  const double before = double(before_bytes) / kMeasured, after = double(after_bytes) / kMeasured;
  WARN("NetBox seen list, heap bytes per device over " << kMeasured << " IPv4 devices: std::map<id, string> "
       << before << ", SeenList " << after);
  CHECK(after < 26);
  // 80 B a node with glibc's headers, 72 B as a sanitizer counts requests.
  CHECK(after * 2.5 < before);
}

namespace {

std::uint64_t vm_rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6));
  return 0;
}

std::size_t open_fds() {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator("/proc/self/fd"),
                                                std::filesystem::directory_iterator{}));
}

}  // namespace

TEST_CASE("stress: 25x past the merge cap, the store's heap and the RSS stay at the cap's size",
          "[sync][armis][bound][stress]") {
  // Bound: 20,000 held devices at ~210 B each (~4 MB); 500,000 offered.
  constexpr std::uint64_t kCap = 20'000, kOffered = 500'000;
  const sr::contract::faker::Inventory inv({kOffered, 5, 0.05});
  const auto fds = open_fds();
  ::malloc_trim(0);  // the measurements above freed ~250 MB: give it back, so RSS shows growth
  const auto rss_before = vm_rss_kib();
  const auto heap_before = heap_in_use();
  armis::MergeStore store({"q1", "q2"}, kCap);
  std::uint64_t refused = 0, heap_at_cap = 0;
  for (std::uint64_t i = 0; i < kOffered; ++i) {
    auto d = armis_device(inv, i);
    if (!store.add(d, i % 2)) ++refused;
    if (i + 1 == kCap) heap_at_cap = heap_in_use() - heap_before;
  }
  const auto heap_after = heap_in_use() - heap_before;
  const auto rss_now = vm_rss_kib();  // read once: two reads can differ
  const auto rss_growth_kib = rss_now - std::min(rss_now, rss_before);
  WARN("merge store at cap " << kCap << ": heap " << heap_at_cap << " B at the cap, " << heap_after
       << " B after " << kOffered << " offered; RSS grew " << rss_growth_kib << " KiB");
  CHECK(store.size() == kCap);
  CHECK(refused == kOffered - kCap);
  CHECK(heap_after <= heap_at_cap + 64 * 1024);  // nothing more held past the cap
  CHECK(heap_after < kCap * 400);
  CHECK(rss_growth_kib < 32 * 1024);
  CHECK(open_fds() == fds);
}
