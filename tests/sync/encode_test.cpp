// Devices written straight from the parser's fields (armis_encode,
// netbox_encode, EncodedPage) are byte for byte what append_device_body
// writes for the DeviceUpdate the mapping makes: over the fake inventory's
// pages as tools/fake-inventory serves them, over thousands of random odd
// devices, and over hand-made ones.
#include "sync/adapters/armis/armis_encode.hpp"
#include "sync/adapters/armis/armis_mapping.hpp"
#include "sync/adapters/https/encoded_page.hpp"
#include "sync/adapters/netbox/netbox_encode.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"
#include "tests/sync/decode_body.hpp"
#include "tools/fake-inventory/apis/armis_api.hpp"
#include "tools/fake-inventory/apis/netbox_api.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>

using namespace sr::sync;
using armis::ArmisDevice;
using netbox::NetboxDevice;

namespace {

RunInfo run_info(std::string partition = "default", std::string agent = "agent-1", std::string gateway = "gw") {
  RunInfo i;
  i.agent_id = std::move(agent);
  i.gateway_id = std::move(gateway);
  i.partition = std::move(partition);
  i.timestamp = "2026-11-25T00:00:00.000000000Z";
  return i;
}

// Run facts the body repeats per device, odd ones included.
std::vector<RunInfo> run_infos() {
  return {run_info(), run_info("", "", ""), run_info("edge \"7\"\\\x01 caf\xc3\xa9", "a\tb", "g\"w")};
}

// The path today: gather + to_update + append_device_body.
std::optional<DeviceUpdate> armis_update(const ArmisDevice& d, std::string_view label, const RunInfo& info) {
  DeviceUpdate u;
  if (!armis::to_update(armis::gather(ArmisDevice(d), label), info, u)) return std::nullopt;
  return u;
}

std::optional<DeviceUpdate> netbox_update(const NetboxDevice& d, const RunInfo& info) {
  DeviceUpdate u;
  if (!netbox::to_update(NetboxDevice(d), info, u)) return std::nullopt;
  return u;
}

// The encoder's entry against the DeviceUpdate's body: same bytes, the IP
// and record id where the batch says; nothing appended for a skipped device.
void check_same(EncodedBatch& batch, bool encoded, const std::optional<DeviceUpdate>& update,
                std::optional<std::int64_t> id, std::size_t size_before, std::size_t bytes_before) {
  REQUIRE(encoded == update.has_value());
  if (!encoded) {
    CHECK(batch.size() == size_before);
    CHECK(batch.text().size() == bytes_before);
    return;
  }
  REQUIRE(batch.size() == size_before + 1);
  std::string expected;
  append_device_body(expected, *update);
  const auto i = batch.size() - 1;
  CHECK(batch.body(i) == expected);
  CHECK(batch.ip(i) == update->ip);
  CHECK(batch.record_id(i) == id);
  CHECK(batch.bytes() == batch.text().size());
}

void check_armis(EncodedBatch& batch, const ArmisDevice& d, std::string_view label, const RunInfo& info) {
  const auto size = batch.size(), bytes = batch.text().size();
  const bool encoded = armis::encode_device(d, label, info, batch);
  check_same(batch, encoded, armis_update(d, label, info), d.id, size, bytes);
}

void check_netbox(EncodedBatch& batch, const NetboxDevice& d, const RunInfo& info) {
  const auto size = batch.size(), bytes = batch.text().size();
  const bool encoded = netbox::encode_device(d, info, batch);
  check_same(batch, encoded, netbox_update(d, info), d.id, size, bytes);
}

template <class Parser>
void parse_page(const std::string& page, std::size_t piece, Parser& parser) {
  for (std::size_t at = 0; at < page.size(); at += piece)
    REQUIRE(parser.feed(std::string_view(page).substr(at, piece)).empty());
  REQUIRE(parser.finish().empty());
}

// NetBox pages of a `devices`-device fake inventory, as its API serves them.
std::vector<std::string> render_netbox_pages(std::uint64_t devices, std::uint64_t page) {
  sr::fake::NetboxApiOptions o;
  o.inventory = {devices, 1, 0.05};
  o.token = "t";
  sr::fake::NetboxApi api(o);
  std::vector<std::string> pages;
  for (std::uint64_t from = 0; from < devices; from += page) {
    auto r = api.handle({"GET", fmt::format("/api/dcim/devices/?limit={}&offset={}", page, from), "",
                         {{"authorization", "Token t"}, {"host", "netbox.test"}}});
    REQUIRE(r.status == 200);
    pages.push_back(std::move(r.body));
  }
  return pages;
}

// --- random odd devices ---

struct Odd {
  std::mt19937_64 rng{20261202};
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }
  template <class T>
  const T& one_of(const std::vector<T>& v) { return v[pick(v.size())]; }

  const std::vector<std::string> ips{"10.0.0.1", "10.0.0.2", " 10.0.0.3 ", "010.0.0.1", "10.0.0.256", "1.2.3",
                                     "2001:DB8::0:1", "2001:db8::1", "fe80::1%eth0", "::ffff:10.0.0.1", "::",
                                     "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "junk", "", "10.0.0.1/24",
                                     "caf\xc3\xa9", "\"10.0.0.9\""};
  const std::vector<std::string> seps{",", ", ", ";", " ", "\t", ",,", "\n"};
  const std::vector<std::string> macs{"aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-01", "aabb.ccdd.ee02", "aabbccddee03",
                                      "aa:bb:cc:dd:ee", "zz:bb:cc:dd:ee:ff", "aa-bb:cc:dd:ee:ff", ""};
  const std::vector<std::string> texts{"", "plain", "caf\xc3\xa9 \"quoted\"", "back\\slash", "ctl\x01\x1f\x7f",
                                       "tab\tnew\nline\r", "\xe2\x82\xac\xf0\x9f\x98\x80", "long text that does "
                                       "not fit a string's own buffer, and then some more",
                                       "\xff\xfe invalid utf-8", ",", "a,b"};

  std::string list(const std::vector<std::string>& items, std::size_t max) {
    std::string out;
    const auto n = pick(max + 1);
    for (std::size_t i = 0; i < n; ++i) out += (i ? one_of(seps) : "") + one_of(items);
    return out;
  }
  ArmisDevice armis() {
    ArmisDevice d;
    if (pick(4)) d.id = static_cast<std::int64_t>(rng() >> pick(64));
    d.ip_address = list(ips, 4);
    d.mac_address = list(macs, 3);
    for (auto* s : {&d.name, &d.type, &d.category, &d.manufacturer, &d.model, &d.operating_system, &d.boundaries,
                    &d.first_seen, &d.last_seen})
      *s = one_of(texts);
    d.risk_level = static_cast<std::int64_t>(pick(5)) - 1;
    for (auto n = pick(5); n > 0; --n) d.tags.push_back(one_of(texts));
    return d;
  }
  NetboxDevice netbox() {
    NetboxDevice d;
    if (pick(4)) d.id = static_cast<std::int64_t>(rng() >> pick(64));
    d.primary_ip4 = pick(3) ? one_of(ips) + (pick(2) ? "/24" : "") : "";
    d.primary_ip6 = pick(3) ? one_of(ips) + (pick(2) ? "/64" : "") : "";
    for (auto* s : {&d.name, &d.manufacturer, &d.model, &d.role, &d.site, &d.serial, &d.description,
                    &d.last_updated})
      *s = one_of(texts);
    d.status = one_of(std::vector<std::string>{"", "active", "offline", "planned", "Active"});
    return d;
  }
};

}  // namespace

TEST_CASE("Armis devices of the fake inventory encode as their DeviceUpdates", "[sync][encode][armis]") {
  const auto pages = sr::fake::render_armis_pages(3000, 1, 700);
  const auto infos = run_infos();
  EncodedBatch batch;
  std::uint64_t devices = 0;
  for (const auto& page : pages) {
    armis::ArmisPageParser parser([&](ArmisDevice& d) {
      ++devices;
      for (const auto& info : infos)
        for (std::string_view label : {"", "all devices", "q \"1\"\\"}) check_armis(batch, d, label, info);
      return true;
    });
    parse_page(page, 4096, parser);
  }
  CHECK(devices == 3000);
  CHECK(batch.size() == 3000 * 9);
}

TEST_CASE("NetBox devices of the fake inventory encode as their DeviceUpdates", "[sync][encode][netbox]") {
  const auto pages = render_netbox_pages(3000, 500);
  const auto infos = run_infos();
  EncodedBatch batch;
  std::uint64_t devices = 0, v6 = 0;
  for (const auto& page : pages) {
    netbox::NetboxPageParser parser([&](NetboxDevice& d) {
      ++devices;
      v6 += d.primary_ip4.empty();
      for (const auto& info : infos) check_netbox(batch, d, info);
      return true;
    });
    parse_page(page, 4096, parser);
  }
  CHECK(devices == 3000);
  CHECK(v6 == 60);  // every 50th is IPv6 only
  CHECK(batch.size() == 3000 * 3);
}

TEST_CASE("random odd devices encode as their DeviceUpdates, or are skipped alike", "[sync][encode]") {
  Odd odd;
  const auto infos = run_infos();
  EncodedBatch batch;
  std::uint64_t kept = 0;
  for (int i = 0; i < 4000; ++i) {
    const auto a = odd.armis();
    const auto n = odd.netbox();
    INFO("device " << i);
    for (const auto& info : infos) {
      check_armis(batch, a, i % 2 ? "label" : "", info);
      check_netbox(batch, n, info);
    }
    if (i % 500 == 499) {
      kept += batch.size();
      batch.clear();
    }
  }
  CHECK(kept > 4000);  // most are kept; the rest were compared as skipped
}

TEST_CASE("hand-made Armis devices: lists of IPs, IPv6, no MAC, escapes, empties", "[sync][encode][armis]") {
  const auto info = run_info();
  EncodedBatch batch;
  auto check = [&](ArmisDevice d) {
    check_armis(batch, d, "corp", info);
    check_armis(batch, d, "", info);
  };
  ArmisDevice d;
  d.id = 7;
  d.ip_address = "10.0.0.1, 10.0.0.2,10.0.0.1;2001:DB8::1 junk";
  d.mac_address = "nonsense, aa-bb-cc-dd-ee-ff, 11:22:33:44:55:66";
  d.name = "cam \"7\"";
  d.tags = {"a", "", "b\\c", "a", "\x01", "caf\xc3\xa9", "b\\c"};
  d.risk_level = 9;
  check(d);
  const auto body = batch.body(0);
  CHECK(body.find(R"("all_ips":"10.0.0.1,10.0.0.2,2001:db8::1","ip_count":"3")") != std::string_view::npos);
  CHECK(body.find(R"("armis_tags":"a,b\\c,\u0001,café")") != std::string_view::npos);
  CHECK(body.find(R"("mac":"AA:BB:CC:DD:EE:FF")") != std::string_view::npos);

  ArmisDevice v6;
  v6.ip_address = "2001:0DB8:0000:0000:0000:0000:0000:0001";
  check(v6);
  CHECK(batch.ip(batch.size() - 1) == "2001:db8::1");
  CHECK_FALSE(batch.record_id(batch.size() - 1));  // no id: none

  ArmisDevice dup;  // one IP twice: one unique IP, no all_ips
  dup.ip_address = "10.0.0.5,10.0.0.5";
  check(dup);
  CHECK(batch.body(batch.size() - 1).find("all_ips") == std::string_view::npos);

  ArmisDevice invalid_first;  // the first valid IP is the device's
  invalid_first.ip_address = "junk, 300.1.1.1, 10.0.0.6";
  check(invalid_first);
  CHECK(batch.ip(batch.size() - 1) == "10.0.0.6");

  const auto size = batch.size();
  for (const auto* ips : {"", "junk", " , ;", "10.0.0.1/24", "300.0.0.1"}) {
    ArmisDevice none;
    none.id = 1;
    none.ip_address = ips;
    none.name = "skipped";
    check(none);
  }
  CHECK(batch.size() == size);
}

TEST_CASE("hand-made NetBox devices: IPv6 only, bad addresses, status, missing id", "[sync][encode][netbox]") {
  const auto info = run_info("edge");
  EncodedBatch batch;
  NetboxDevice d;
  d.id = 42;
  d.name = "sw-1";
  d.primary_ip4 = "10.1.0.1/24";
  d.primary_ip6 = "fd00::1/64";
  d.status = "active";
  d.role = "Switch \"core\"";
  check_netbox(batch, d, info);
  CHECK(batch.ip(0) == "10.1.0.1");
  CHECK(batch.record_id(0) == 42);
  CHECK(batch.body(0).find(R"("is_available":true)") != std::string_view::npos);

  NetboxDevice v6 = d;
  v6.primary_ip4.clear();
  v6.primary_ip6 = "FD00:0::2/64";
  v6.status = "offline";
  v6.id.reset();
  check_netbox(batch, v6, info);
  CHECK(batch.ip(1) == "fd00::2");
  CHECK_FALSE(batch.record_id(1));
  CHECK(batch.body(1).find(R"("is_available":false)") != std::string_view::npos);

  NetboxDevice bad_v4 = d;  // a broken primary_ip4 falls back to primary_ip6
  bad_v4.primary_ip4 = "10.1.0.300/24";
  bad_v4.status.clear();
  check_netbox(batch, bad_v4, info);
  CHECK(batch.ip(2) == "fd00::1");

  NetboxDevice none = d;
  none.primary_ip4 = "nope";
  none.primary_ip6.clear();
  check_netbox(batch, none, info);
  NetboxDevice empty;
  check_netbox(batch, empty, info);
  CHECK(batch.size() == 3);
}

TEST_CASE("an encoded batch: bodies back to back, IPs and ids, cleared keeping capacity", "[sync][encode][batch]") {
  EncodedBatch b;
  CHECK(b.empty());
  CHECK(b.size() == 0);
  CHECK(b.bytes() == 0);
  DeviceUpdate u;
  u.ip = "10.0.0.1";
  u.device_id = R"(odd,"ip":"part:10.0.0.1)";  // the key's text inside device_id, escaped there
  u.source = "netbox";
  u.timestamp = "t";
  b.add(u, 5);
  u.ip = "10.0.0.2";
  u.device_id = "default:10.0.0.2";
  b.add(u);
  REQUIRE(b.size() == 2);
  std::string first, second;
  u.ip = "10.0.0.1";
  u.device_id = R"(odd,"ip":"part:10.0.0.1)";
  append_device_body(first, u);
  u.ip = "10.0.0.2";
  u.device_id = "default:10.0.0.2";
  append_device_body(second, u);
  CHECK(b.body(0) == first);
  CHECK(b.body(1) == second);
  CHECK(b.ip(0) == "10.0.0.1");
  CHECK(b.ip(1) == "10.0.0.2");
  CHECK(b.record_id(0) == 5);
  CHECK_FALSE(b.record_id(1));
  CHECK(b.bytes() == first.size() + second.size());
  CHECK_THROWS_AS(b.body(2), std::out_of_range);

  // A body written but not sealed is dropped; a seal outside the body is refused.
  b.text() += R"({"device_id":"x")";
  CHECK_THROWS_AS(b.seal(0, 3, std::nullopt), std::out_of_range);
  b.drop_open();
  CHECK(b.text().size() == b.bytes());
  CHECK(b.size() == 2);

  // An IP past what an entry holds (65535 bytes) is refused, its body left open.
  DeviceUpdate huge;
  huge.ip = std::string(70'000, '1');
  CHECK_THROWS_AS(b.add(huge), std::out_of_range);
  CHECK(b.size() == 2);
  b.drop_open();
  CHECK(b.body(1) == second);
  CHECK(b.text().size() == b.bytes());

  const auto capacity = b.text().capacity();
  b.clear();
  CHECK(b.empty());
  CHECK(b.text().empty());
  CHECK(b.text().capacity() == capacity);
}

namespace {

auto armis_encoder(const RunInfo& info) {
  return [&info](const ArmisDevice& d, EncodedBatch& out) { return armis::encode_device(d, "q", info, out); };
}

}  // namespace

TEST_CASE("a page encoded as it is parsed: the bodies of the mapped devices, skips counted", "[sync][encode][page]") {
  const auto info = run_info();
  auto pages = sr::fake::render_armis_pages(1200, 3, 600);
  // One device without an IP, one with a field of the wrong type.
  const std::string extra = R"({"id":1,"ipAddress":"none"},{"id":2,"ipAddress":"10.9.9.9","riskLevel":"high"},)";
  pages[0].insert(pages[0].find("\"results\":[") + 11, extra);
  EncodedPage<armis::ArmisPageParser, decltype(armis_encoder(info))> page(armis_encoder(info));
  std::uint64_t seen = 0;
  for (const auto& text : pages) {
    page.restart();
    parse_page(text, 1000, page);
    // Today's path over the same page.
    std::vector<ArmisDevice> parsed;
    ParsedPage<armis::ArmisPageParser> reference(parsed);
    reference.restart();
    parse_page(text, 1000, reference);
    EncodedBatch expected;
    std::uint64_t skipped = 0;
    for (const auto& d : parsed) {
      auto u = armis_update(d, "q", info);
      if (u) expected.add(*u, d.id);
      else ++skipped;
    }
    REQUIRE(page.batch().size() == expected.size());
    CHECK(page.batch().text() == expected.text());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      CHECK(page.batch().ip(i) == expected.ip(i));
      CHECK(page.batch().record_id(i) == expected.record_id(i));
    }
    CHECK(page.skipped() == skipped);
    CHECK(page.info().devices == parsed.size());
    CHECK(page.info().skipped_fields == reference.info().skipped_fields);
    seen += page.batch().size();
  }
  CHECK(seen == 1201);
}

TEST_CASE("a restarted page keeps nothing of the failed attempt", "[sync][encode][page]") {
  const auto info = run_info();
  const auto text = sr::fake::render_armis_pages(300, 1, 300).front();
  EncodedPage<armis::ArmisPageParser, decltype(armis_encoder(info))> page(armis_encoder(info));
  CHECK(page.feed(std::string_view(text).substr(0, text.size() / 2)).empty());
  CHECK(page.batch().size() > 100);  // encoded as it arrived
  page.restart();
  CHECK(page.batch().empty());
  CHECK(page.skipped() == 0);
  parse_page(text, 777, page);
  CHECK(page.batch().size() == 300);
  CHECK(page.info().devices == 300);
  // The caller takes the bodies; the next attempt starts afresh.
  EncodedBatch taken = std::move(page.batch());
  CHECK(taken.size() == 300);
  page.restart();
  CHECK(page.batch().empty());
}

TEST_CASE("NetBox pages encoded as they are parsed", "[sync][encode][page][netbox]") {
  const auto info = run_info();
  auto encode = [&info](const NetboxDevice& d, EncodedBatch& out) { return netbox::encode_device(d, info, out); };
  EncodedPage<netbox::NetboxPageParser, decltype(encode)> page(encode);
  std::string text = render_netbox_pages(100, 100).front();
  text.insert(text.find("\"results\":[") + 11, R"({"id":5,"primary_ip4":null},)");
  parse_page(text, 333, page);
  CHECK(page.info().devices == 101);
  CHECK(page.skipped() == 1);
  REQUIRE(page.batch().size() == 100);
  CHECK(page.batch().record_id(0).has_value());
  CHECK(page.info().count == 100);
}

TEST_CASE("the parser reads every device into one object, its fields keeping their buffers", "[sync][encode][page]") {
  // A long name, then a short one, then none: the buffer stays, the text goes.
  const std::string text = R"({"data":{"results":[{"id":1,"ipAddress":"10.0.0.1","name":")" + std::string(60, 'n') +
                           R"(","tags":["t"]},{"id":2,"ipAddress":"10.0.0.2","name":"x"},{"id":3}]}})";
  std::vector<std::size_t> capacities;
  std::vector<std::string> names;
  std::vector<std::size_t> tags;
  armis::ArmisPageParser parser([&](ArmisDevice& d) {
    capacities.push_back(d.name.capacity());
    names.push_back(d.name);
    tags.push_back(d.tags.size());
    return true;
  });
  parse_page(text, text.size(), parser);
  REQUIRE(names.size() == 3);
  CHECK(names[1] == "x");
  CHECK(capacities[1] >= 60);  // not a fresh string: no allocation for the next long name
  CHECK(names[2].empty());     // emptied, not left over from the device before
  CHECK(tags == std::vector<std::size_t>{1, 0, 0});

  const std::string nb = R"({"count":2,"next":null,"results":[{"id":1,"name":")" + std::string(60, 'n') +
                         R"(","primary_ip4":{"address":"10.0.0.1/24"},"status":{"value":"active"}},{"id":2}]})";
  std::vector<netbox::NetboxDevice> got;
  std::vector<std::size_t> nb_capacities;
  netbox::NetboxPageParser nparser([&](netbox::NetboxDevice& d) {
    nb_capacities.push_back(d.name.capacity());
    got.push_back(d);
    return true;
  });
  parse_page(nb, 7, nparser);
  REQUIRE(got.size() == 2);
  CHECK(nb_capacities[1] >= 60);
  CHECK(got[1].name.empty());
  CHECK(got[1].primary_ip4.empty());
  CHECK(got[1].status.empty());
  CHECK(got[1].id == 2);
}

TEST_CASE("a body reads back as the device it was written from (the adapter tests' sink)", "[sync][encode]") {
  Odd odd;
  const auto info = run_info("edge");
  EncodedBatch batch;
  std::vector<DeviceUpdate> updates;
  for (int i = 0; i < 300; ++i) {
    const auto a = odd.armis();
    if (auto u = armis_update(a, "q", info)) {
      REQUIRE(armis::encode_device(a, "q", info, batch));
      updates.push_back(std::move(*u));
    }
  }
  const auto decoded = sr::test::decode_batch(batch);
  REQUIRE(decoded.size() == updates.size());
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    const auto& d = decoded[i];
    const auto& u = updates[i];
    CHECK(d.device_id == u.device_id);
    CHECK(d.ip == u.ip);
    CHECK(d.mac == u.mac);
    CHECK(d.hostname == u.hostname);
    CHECK(d.source == u.source);
    CHECK(d.is_available == u.is_available);
    REQUIRE(d.metadata.size() == u.metadata.size());
    for (std::size_t m = 0; m < d.metadata.size(); ++m) {
      CHECK(d.metadata[m].first == u.metadata[m].first.view());
      CHECK(d.metadata[m].second == u.metadata[m].second);
    }
  }
}
