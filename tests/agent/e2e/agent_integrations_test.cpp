// The HTTPS integrations end to end: the real agent polls an Armis and a
// NetBox source served by the real tools/fake-inventory (HTTPS, test PKI)
// and streams both inventories to the real reference gateway over mTLS.
// What lands in the tenant's sink is compared device by device; neither log
// may show a credential.
#include "contract/faker_inventory.hpp"
#include "tests/agent/e2e/agent_process.hpp"
#include "tests/agent/e2e/fake_inventory_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/test_pki.hpp"
#include "tests/support/wait.hpp"
#include "tests/tools/agent-gateway/e2e/gateway_fixture.hpp"
#include "tools/fake-inventory/apis/netbox_api.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace sr::test;
namespace fs = std::filesystem;

namespace {

const char* kArmisSecret = "armis-SECRET-e2e-9d1f";
const char* kNetboxToken = "netbox-TOKEN-e2e-77aa";

FakeInventoryProcess fake_inventory(std::uint64_t devices, std::vector<std::string> faults = {}) {
  std::vector<std::string> args{"--devices", std::to_string(devices), "--seed", "5",
                                "--armis-api-key", "key-e2e", "--armis-api-secret", kArmisSecret,
                                "--netbox-token", kNetboxToken};
  args.insert(args.end(), faults.begin(), faults.end());
  return FakeInventoryProcess(std::move(args));
}

std::string store_for(const FakeInventoryProcess& fake) {
  const auto ca = (test_pki() / "ca" / "root.pem").string();
  return R"({"sources":{
    "armis-hq":{"type":"armis","endpoint":")" + fake.endpoint + R"(","ca_file":")" + ca +
         R"(","poll_interval":"1h","credentials":{"api_key":"key-e2e","api_secret":")" + kArmisSecret +
         R"(","page_size":"700"}},
    "netbox-dc":{"type":"netbox","endpoint":")" + fake.endpoint + R"(","ca_file":")" + ca +
         R"(","poll_interval":"1h","credentials":{"api_token":")" + kNetboxToken +
         R"(","page_size":"400"}}}})";
}

// IPs per source ("armis", "netbox") in the tenant's committed stream files.
std::map<std::string, std::multiset<std::string>> read_sink(const fs::path& dir) {
  std::map<std::string, std::multiset<std::string>> by_source;
  if (!fs::exists(dir)) return by_source;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().front() == '.') continue;
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) {
      const auto v = boost::json::parse(line);
      by_source[std::string(v.at("source").as_string())].insert(std::string(v.at("ip").as_string()));
    }
  }
  return by_source;
}

}  // namespace

TEST_CASE("Armis and NetBox inventories arrive whole through the agent, credentials unseen",
          "[agent][integrations][https]") {
  constexpr std::uint64_t kDevices = 6000;
  auto fake = fake_inventory(kDevices, {"--rate-limit-every", "9", "--reset-every", "13"});
  GatewayFixtureOptions options;
  options.stores = {{"acme", store_for(fake)}};
  GatewayFixture gw(options);
  auto agent = start_agent(gw.grpc_address(), "agents/agent-1");
  REQUIRE(agent->wait_for_log("[armis-hq] run"));
  std::map<std::string, std::multiset<std::string>> got;
  CHECK(eventually([&] {
    got = read_sink(gw.sink_dir() / "acme");
    return got["armis"].size() >= kDevices && got["netbox"].size() >= kDevices;
  }));

  sr::contract::faker::Inventory inv({kDevices, 5, 0.05});
  std::multiset<std::string> armis, netbox;
  for (std::uint64_t i = 0; i < kDevices; ++i) {
    armis.insert(inv.ip_of(i, 0));
    netbox.insert(sr::fake::netbox_ip(inv, i, 0));
  }
  CHECK(got["armis"] == armis);    // each device once, every device
  CHECK(got["netbox"] == netbox);
  check_clean_exit(*agent);
  for (const auto* secret : {kArmisSecret, kNetboxToken}) {
    CHECK(agent->log_text().find(secret) == std::string::npos);
    CHECK(gw.process().log_text().find(secret) == std::string::npos);
  }
}
