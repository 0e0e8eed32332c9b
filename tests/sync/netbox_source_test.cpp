// The NetBox adapter against the fake NetBox API over real HTTPS: complete
// inventories, both token styles, absolute and relative next links, retries,
// and retractions after a complete run only.
#include "contract/faker_inventory.hpp"
#include "sync/adapters/netbox/netbox_source.hpp"
#include "sync/adapters/registry.hpp"
#include "sync/adapters/netbox/seen_devices.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/sync/adapter_harness.hpp"
#include "tools/fake-inventory/apis/netbox_api.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <sys/stat.h>

using namespace sr::sync;
using sr::fake::NetboxApi;
using sr::fake::NetboxApiOptions;

namespace {

using FakeNetbox = sr::test::FakeApi<NetboxApi>;
const char* kToken = "0123456789abcdef-netbox-token";

NetboxApiOptions api_options(std::uint64_t devices, std::string token = kToken) {
  NetboxApiOptions o;
  o.inventory = {devices, 11, 0.05};
  o.token = std::move(token);
  return o;
}

SourceConfig source_for(const FakeNetbox& fake, std::string token = kToken) {
  SourceConfig s;
  s.name = "netbox-test";
  s.type = "netbox";
  s.endpoint = fake.endpoint();
  s.credentials = {{"api_token", std::move(token)}};
  s.options = {{"page_size", "500"}};
  s.ca_file = (sr::test::test_pki() / "ca" / "root.pem").string();
  return s;
}

sr::test::RunResult run_source(const SourceConfig& source,
                                const RunInfo& info = sr::test::test_run_info()) {
  return sr::test::run_source_once(source, info);
}

std::set<std::string> expected_ips(std::uint64_t n) {
  sr::contract::faker::Inventory inv({n, 11, 0.05});
  std::set<std::string> ips;
  for (std::uint64_t i = 0; i < n; ++i) ips.insert(sr::fake::netbox_ip(inv, i, 0));
  return ips;
}

std::set<std::string> ips_of(const std::vector<DeviceUpdate>& devices, bool retracted) {
  std::set<std::string> ips;
  for (const auto& d : devices)
    if ((sr::test::meta_of(d, "_deleted") == "true") == retracted) ips.insert(d.ip);
  return ips;
}

}  // namespace

TEST_CASE("a whole NetBox inventory arrives exactly, IPv6-only devices included",
          "[sync][netbox][https]") {
  SECTION("max_concurrency 1: page by page, over one kept-alive connection") {
    FakeNetbox fake(api_options(20'000));
    auto s = source_for(fake);
    s.options["max_concurrency"] = "1";
    auto out = run_source(s);
    REQUIRE(out.error == "");
    CHECK(out.devices.size() == 20'000);
    CHECK(ips_of(out.devices, false) == expected_ips(20'000));
    CHECK(out.expected == 20'000);
    CHECK(fake.api.requests() == 40);
    CHECK(fake.server.connections_accepted() == 1);
  }
  SECTION("pages in flight (the default): every device once, at most max_concurrency connections") {
    FakeNetbox fake(api_options(20'000));
    auto out = run_source(source_for(fake));
    REQUIRE(out.error == "");
    CHECK(out.devices.size() == 20'000);
    CHECK(ips_of(out.devices, false) == expected_ips(20'000));
    CHECK(fake.api.requests() == 40);  // no page fetched twice
    CHECK(fake.server.connections_accepted() >= 2);  // pages 2 and 3 start together
    CHECK(fake.server.connections_accepted() <= kDefaultMaxConcurrency);
    CHECK(out.page_concurrency <= kDefaultMaxConcurrency);
    CHECK(out.page_concurrency >= 2);
  }
}

TEST_CASE("v2 tokens go as Bearer; relative next links are followed", "[sync][netbox][https]") {
  auto o = api_options(1200, "nbt_v2token0123456789");
  o.relative_next = true;
  FakeNetbox fake(o);
  auto out = run_source(source_for(fake, "nbt_v2token0123456789"));
  REQUIRE(out.error == "");
  CHECK(ips_of(out.devices, false) == expected_ips(1200));
}

TEST_CASE("429, 500 and resets are retried; a bad token fails without showing it",
          "[sync][netbox][https][faults]") {
  auto o = api_options(5000);
  o.rate_limit_every = 3;
  o.error_every = 4;
  o.reset_every = 5;
  FakeNetbox faulty(o);
  auto faulty_source = source_for(faulty);
  faulty_source.options["max_concurrency"] = "1";  // page by page: every-Nth faults fall the same way each run
  auto out = run_source(faulty_source);
  REQUIRE(out.error == "");
  CHECK(ips_of(out.devices, false) == expected_ips(5000));

  FakeNetbox strict(api_options(100));
  auto denied = run_source(source_for(strict, "wrong-token-value"));
  CHECK_THAT(denied.error, Catch::StartsWith("devices page 1: GET https://127.0.0.1:") &&
                               Catch::EndsWith("/api/dcim/devices/: HTTP 403 (the server refused the request)"));
  CHECK(denied.error.find("wrong-token-value") == std::string::npos);
  CHECK(denied.stage == "devices");
  CHECK(denied.http_status == 403);
}

TEST_CASE("devices gone since the last complete run are retracted once; a failed run retracts nothing",
          "[sync][netbox][https][retraction]") {
  sr::test::TempDir state("sr-netbox-state");
  const auto info = sr::test::test_run_info(state.path / "sources");
  FakeNetbox fake(api_options(3000));
  const auto source = source_for(fake);

  auto first = run_source(source, info);
  REQUIRE(first.error.empty());
  CHECK(ips_of(first.devices, true).empty());
  const auto file = netbox::seen_file(state.path / "sources", source.name);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(file.filename().string().find("netbox-test") == std::string::npos);  // no raw names in paths

  // Ten devices leave NetBox; a run against a broken server fails first.
  auto broken_options = api_options(2990);
  broken_options.malformed_every = 2;
  FakeNetbox broken(broken_options);
  auto broken_source = source_for(broken);
  auto failed = run_source(broken_source, info);
  CHECK_THAT(failed.error, Catch::Contains("page is not valid JSON"));

  fake.api.set_total(2990);
  auto second = run_source(source, info);
  REQUIRE(second.error.empty());
  const auto all = expected_ips(3000), kept = expected_ips(2990);
  std::set<std::string> gone;
  for (const auto& ip : all)
    if (!kept.count(ip)) gone.insert(ip);
  CHECK(ips_of(second.devices, false) == kept);
  CHECK(ips_of(second.devices, true) == gone);  // exactly the ten, despite the failed run
  for (const auto& d : second.devices)
    if (sr::test::meta_of(d, "_deleted") == "true") CHECK(d.is_available == false);

  auto third = run_source(source, info);
  REQUIRE(third.error.empty());
  CHECK(ips_of(third.devices, true).empty());  // retracted once only
}

// The token once went to https://127.0.0.1:31444 that way.
TEST_CASE("next links to another port, scheme or host: only the endpoint is asked",
          "[sync][netbox][https][next]") {
  // A second listener on another port of the same host, counting every
  // connection: it must never see one (the token went to such a port once).
  FakeNetbox elsewhere(api_options(1200));
  const auto port = std::to_string(elsewhere.server.port());
  for (const std::string& origin : {"https://127.0.0.1:" + port,   // another port
                                   "http://127.0.0.1:" + port,    // another scheme (and port)
                                   "https://localhost:" + port,   // another host name
                                   std::string("https://netbox.invalid")}) {
    INFO("next origin " << origin);
    auto o = api_options(1200);
    o.next_origin = origin;
    FakeNetbox fake(o);
    auto out = run_source(source_for(fake));
    REQUIRE(out.error == "");
    CHECK(ips_of(out.devices, false) == expected_ips(1200));
    CHECK(fake.api.requests() == 3);  // pages of 500: every one from the endpoint
    CHECK(elsewhere.server.connections_accepted() == 0);
    CHECK(elsewhere.api.requests() == 0);
  }
}

TEST_CASE("past max_seen_devices a run sends every device, retracts nothing, keeps the last list and counts",
          "[sync][netbox][https][retraction][bound]") {
  sr::test::TempDir state("sr-netbox-cap");
  const auto info = sr::test::test_run_info(state.path / "sources");
  FakeNetbox fake(api_options(1000));
  auto source = source_for(fake);
  auto first = run_source(source, info);
  REQUIRE(first.error.empty());
  CHECK(first.over_cap == 0);

  // NetBox grows to 1500 devices; this run may remember only 1200 of them.
  fake.api.set_total(1500);
  source.options["max_seen_devices"] = "1200";
  auto capped = run_source(source, info);
  REQUIRE(capped.error.empty());
  CHECK(ips_of(capped.devices, false) == expected_ips(1500));  // nothing lost
  CHECK(ips_of(capped.devices, true).empty());                 // no retraction from a partial list
  CHECK(capped.over_cap == 300);

  // Under the cap again: the last complete list (1000) was kept, so exactly
  // the ten that left since go now (not the 500 it never listed).
  fake.api.set_total(990);
  source.options.erase("max_seen_devices");
  auto after = run_source(source, info);
  REQUIRE(after.error.empty());
  CHECK(after.over_cap == 0);
  const auto all = expected_ips(1000), kept = expected_ips(990);
  std::set<std::string> gone;
  for (const auto& ip : all)
    if (!kept.count(ip)) gone.insert(ip);
  CHECK(ips_of(after.devices, true) == gone);

  // A list longer than the cap (the cap lowered): read as damaged, nothing retracted.
  fake.api.set_total(980);
  source.options["max_seen_devices"] = "100";
  auto lowered = run_source(source, info);
  REQUIRE(lowered.error.empty());
  CHECK(ips_of(lowered.devices, true).empty());
  CHECK(lowered.over_cap == 980 - 100);
}

namespace {

// A fake whose page at `offset` is served with `limit` instead: NetBox
// pages differently from the plan made from page 1.
FakeNetbox::Rewrite page_resized(std::uint64_t offset, std::uint64_t planned, std::uint64_t limit) {
  return [=](sr::fake::ServerRequest& r) {
    const auto at = "limit=" + std::to_string(planned) + "&offset=" + std::to_string(offset);
    if (auto pos = r.target.find(at); pos != std::string::npos)
      r.target.replace(pos, at.size(), "limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset));
  };
}

}  // namespace

TEST_CASE("NetBox pages in flight with 429s, 5xx and cut bodies: every device once, the limit backs off",
          "[sync][netbox][https][concurrency][faults]") {
  auto o = api_options(10'000);
  o.rate_limit_every = 3;
  o.retry_after_seconds = 0;
  o.error_every = 4;
  o.reset_every = 5;
  o.faults_once_per_page = true;  // every page gets through, however the pages in flight interleave
  FakeNetbox fake(o);
  auto s = source_for(fake);
  s.options["max_concurrency"] = "8";
  auto out = run_source(s);
  REQUIRE(out.error == "");
  CHECK(out.devices.size() == 10'000);
  CHECK(ips_of(out.devices, false) == expected_ips(10'000));
  CHECK(out.concurrency_decreases >= 1);
}

TEST_CASE("a NetBox page that changes size drops the plan there; every device arrives once",
          "[sync][netbox][https][concurrency]") {
  for (std::uint64_t limit : {400, 700}) {
    DYNAMIC_SECTION("page at offset 1500 served with limit " << limit) {
      FakeNetbox fake(api_options(5000), page_resized(1500, 500, limit));
      auto s = source_for(fake);
      s.options["max_concurrency"] = "4";
      auto out = run_source(s);
      REQUIRE(out.error == "");
      CHECK(out.devices.size() == 5000);
      CHECK(ips_of(out.devices, false) == expected_ips(5000));
    }
  }
}
