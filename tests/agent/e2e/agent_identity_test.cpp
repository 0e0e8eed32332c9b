// What the platform makes of an Armis, a NetBox and a faker source of one
// tenant whose record ids overlap (1..N each), end to end: the real agent
// polls two real tools/fake-inventory processes over HTTPS and streams to the
// real reference gateway, whose inventory reconciles as the deployed core
// does (strong identifiers unscoped by source, integration_id not even by
// type). Every canonical device is then checked one by one:
//  - Armis (fake A: seed 5, IP slots 0..N-1) and NetBox (fake B: seed 6,
//    slots from 100,000: other boxes) share ids but no box: 2N devices, none
//    merged across (a shared integration_id would merge NetBox 42 into
//    Armis 42: the agent sends none);
//  - the faker (seed 5, slot 0: Armis's boxes, same MACs and IPs, with ids
//    of its own) merges into the Armis devices and claims no Armis id;
//  - fake B writes NetBox's next links as http://netbox.internal:8080/...,
//    as behind a TLS-terminating proxy: the agent stays on its endpoint and
//    syncs NetBox whole.
#include "contract/faker_inventory.hpp"
#include "sync/device/address_text.hpp"
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/agent/e2e/fake_inventory_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"
#include "tools/agent-gateway/inventory/inventory_store.hpp"
#include "tools/fake-inventory/apis/netbox_api.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

using namespace sr::test;
namespace inventory = sr::gateway::inventory;
using sr::contract::faker::Inventory;

namespace {

constexpr std::uint64_t kDevices = 3000;
constexpr std::uint64_t kNetboxFirstSlot = 100'000;
const char* kArmisSecret = "armis-SECRET-identity-41c2";
const char* kNetboxToken = "netbox-TOKEN-identity-0e7b";

FakeInventoryProcess fake_inventory(std::uint64_t seed, std::uint64_t first_slot, std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--devices", std::to_string(kDevices), "--seed", std::to_string(seed),
                                "--first-slot", std::to_string(first_slot),
                                "--armis-api-key", "key-identity", "--armis-api-secret", kArmisSecret,
                                "--netbox-token", kNetboxToken};
  args.insert(args.end(), more.begin(), more.end());
  return FakeInventoryProcess(std::move(args));
}

std::string store(const FakeInventoryProcess& armis, const FakeInventoryProcess& netbox) {
  const auto ca = (test_pki() / "ca" / "root.pem").string();
  return R"({"sources":{
    "armis-hq":{"type":"armis","endpoint":")" + armis.endpoint + R"(","ca_file":")" + ca +
         R"(","poll_interval":"1h","credentials":{"api_key":"key-identity","api_secret":")" + kArmisSecret +
         R"(","page_size":"500"}},
    "netbox-dc":{"type":"netbox","endpoint":")" + netbox.endpoint + R"(","ca_file":")" + ca +
         R"(","poll_interval":"1h","credentials":{"api_token":")" + kNetboxToken + R"(","page_size":"400"}},
    "lab-faker":{"type":"faker","total_devices":)" + std::to_string(kDevices) +
         R"(,"seed":5,"poll_interval":"1h"}}})";
}

// A "[<source>] run <id> delivered:" line in the agent's log.
bool delivered(ChildProcess& agent, const std::string& source) {
  std::istringstream log(agent.log_text());
  for (std::string line; std::getline(log, line);)
    if (line.find("[" + source + "] run ") != std::string::npos && line.find(" delivered: ") != std::string::npos)
      return true;
  return false;
}

std::string meta(const inventory::CanonicalDevice& d, const std::string& key) {
  auto it = d.metadata.find(key);
  return it == d.metadata.end() ? "(absent)" : it->second;
}

std::string canonical(const std::string& ip) { return sr::sync::canonical_ip(ip).value_or(ip); }

}  // namespace

TEST_CASE("overlapping ids of Armis, NetBox and faker land as the core would keep them, device by device",
          "[agent][integrations][identity]") {
  auto armis = fake_inventory(5, 0);
  auto netbox = fake_inventory(6, kNetboxFirstSlot, {"--netbox-next-origin", "http://netbox.internal:8080"});
  GatewayFixtureOptions options;
  options.stores = {{"acme", store(armis, netbox)}};
  GatewayFixture gw(options);
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1");
  // Acknowledged only once committed: delivered means in the inventory.
  const bool all = eventually([&] {
    return delivered(*agent, "armis-hq") && delivered(*agent, "netbox-dc") && delivered(*agent, "lab-faker");
  });
  if (!all) FAIL("not every source delivered; agent log:\n" << agent->log_text());

  auto opened = inventory::InventoryStore::open(gw.data_dir() / "inventory.db");
  REQUIRE(opened);
  const auto devices = (*opened)->devices("acme");
  std::map<std::string, const inventory::CanonicalDevice*> by_ip;
  for (const auto& d : devices) by_ip[d.ip] = &d;
  CHECK(devices.size() == 2 * kDevices);
  CHECK(by_ip.size() == devices.size());  // an IP names one device

  const Inventory boxes_a({kDevices, 5, 0.05, 0}), boxes_b({kDevices, 6, 0.05, kNetboxFirstSlot});
  std::uint64_t armis_ok = 0, netbox_ok = 0;
  std::vector<std::string> wrong;  // the first few, said in full
  auto report = [&](std::string what) {
    if (wrong.size() < 10) wrong.push_back(std::move(what));
  };
  for (std::uint64_t i = 0; i < kDevices; ++i) {
    const auto id = std::to_string(i + 1);
    // Armis box i, also reported by the faker (same box by MAC and IP).
    const auto box = boxes_a.device(i, 0, false);
    auto a = by_ip.find(box.ip);
    if (a == by_ip.end()) {
      report("Armis box " + id + " (" + box.ip + ") is not in the inventory");
      continue;
    }
    const auto& ad = *a->second;
    const bool armis_right = meta(ad, "armis_device_id") == id && meta(ad, "netbox_device_id") == "(absent)" &&
                             meta(ad, "integration_id") == "(absent)" && ad.mac == box.macs.front() &&
                             ad.sources == std::set<std::string>{"armis", "integration"} && ad.available;
    if (!armis_right) {
      report("Armis box " + id + ": armis_device_id " + meta(ad, "armis_device_id") + ", netbox_device_id " +
             meta(ad, "netbox_device_id") + ", integration_id " + meta(ad, "integration_id") + ", mac " + ad.mac +
             ", sources " + std::to_string(ad.sources.size()));
    }
    armis_ok += armis_right;
    // NetBox box i: another box with the same number.
    const auto nip = canonical(sr::fake::netbox_ip(boxes_b, i, 0));
    auto n = by_ip.find(nip);
    if (n == by_ip.end()) {
      report("NetBox box " + id + " (" + nip + ") is not in the inventory");
      continue;
    }
    const auto& nd = *n->second;
    const bool netbox_right = meta(nd, "netbox_device_id") == id && meta(nd, "armis_device_id") == "(absent)" &&
                              meta(nd, "integration_id") == "(absent)" && meta(nd, "_deleted") == "false" &&
                              meta(nd, "device_role") != "(absent)" && nd.sources == std::set<std::string>{"netbox"} &&
                              nd.available && nd.id != ad.id;
    if (!netbox_right) {
      report("NetBox box " + id + ": netbox_device_id " + meta(nd, "netbox_device_id") + ", armis_device_id " +
             meta(nd, "armis_device_id") + ", device_role " + meta(nd, "device_role") + ", sources " +
             std::to_string(nd.sources.size()) + (nd.id == ad.id ? ", merged into Armis box " + id : ""));
    }
    netbox_ok += netbox_right;
  }
  INFO("first devices that are wrong:\n" << [&] {
    std::string all_wrong;
    for (const auto& w : wrong) all_wrong += w + "\n";
    return all_wrong;
  }());
  CHECK(armis_ok == kDevices);
  CHECK(netbox_ok == kDevices);
  // NetBox's next links named another host over http: the agent never left its endpoint.
  CHECK(agent->log_text().find("netbox.internal") == std::string::npos);
  check_clean_exit(*agent);
  for (const auto* secret : {kArmisSecret, kNetboxToken}) {
    CHECK(agent->log_text().find(secret) == std::string::npos);
    CHECK(gw.process().log_text().find(secret) == std::string::npos);
  }
}
