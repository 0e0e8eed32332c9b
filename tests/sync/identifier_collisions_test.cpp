// Sources of one config that would claim the same identifier values in the
// platform are named at config time; those that cannot collide are not.
#include "sync/config/identifier_collisions.hpp"

#include <catch2/catch.hpp>

using namespace sr::sync;

namespace {
SourceConfig source(std::string name, std::string type, std::string endpoint, std::string partition = "") {
  SourceConfig s;
  s.name = std::move(name);
  s.type = std::move(type);
  s.endpoint = std::move(endpoint);
  s.partition = std::move(partition);
  return s;
}
}  // namespace

TEST_CASE("two Armis instances in one partition collide; both are told", "[sync][config][identity]") {
  auto w = identifier_collisions({source("us", "armis", "https://armis-us.example"),
                                  source("eu", "armis", "https://armis-eu.example"),
                                  source("nb", "netbox", "https://netbox.example")},
                                 "default");
  REQUIRE(w.size() == 2);
  REQUIRE(w["us"].size() == 1);
  CHECK(w["us"][0] ==
        "armis_device_id values may collide with source \"eu\" (other armis instances in partition \"default\"): "
        "the platform would merge devices that share a number; give each instance its own partition");
  CHECK(w["eu"][0].find("source \"us\"") != std::string::npos);
  CHECK_FALSE(w.count("nb"));  // Armis and NetBox claim different identifier kinds
}

TEST_CASE("a source's own partition, or the agent's, decides", "[sync][config][identity]") {
  // The agent's partition is "site-a": an explicit "site-a" is the same one.
  auto same = identifier_collisions({source("a", "netbox", "https://nb-a", "site-a"), source("b", "netbox", "https://nb-b")},
                                    "site-a");
  CHECK(same.size() == 2);
  CHECK(same["a"][0].find("netbox_device_id values may collide") == 0);
  auto apart = identifier_collisions({source("a", "netbox", "https://nb-a", "site-a"), source("b", "netbox", "https://nb-b", "site-b")},
                                     "site-a");
  CHECK(apart.empty());
}

TEST_CASE("one instance read twice, and fakers, do not collide", "[sync][config][identity]") {
  // Two queries of the same NetBox (host and port, any case, default port) describe the same devices.
  CHECK(identifier_collisions({source("dc1", "netbox", "https://NetBox.example/"),
                               source("dc2", "netbox", "https://netbox.example:443/api")},
                              "default")
            .empty());
  CHECK_FALSE(identifier_collisions({source("a", "netbox", "https://nb:8443"), source("b", "netbox", "https://nb:9443")},
                                    "default")
                  .empty());
  CHECK(identifier_collisions({source("f1", "faker", ""), source("f2", "faker", "")}, "default").empty());
}

TEST_CASE("however many instances collide, each source gets one warning of bounded length",
          "[sync][config][identity]") {
  std::vector<SourceConfig> many;
  for (int i = 0; i < 500; ++i)
    many.push_back(source("nb-" + std::to_string(i), "netbox", "https://nb-" + std::to_string(i) + ".example"));
  auto w = identifier_collisions(many, "default");
  REQUIRE(w.size() == 500);
  REQUIRE(w["nb-0"].size() == 1);
  CHECK(w["nb-0"][0].find("with sources \"nb-1\", \"nb-2\", \"nb-3\" and 496 more (other netbox") !=
        std::string::npos);
  for (const auto& [name, warnings] : w) CHECK(warnings.front().size() < 300);
  auto two = identifier_collisions({source("a", "netbox", "https://a"), source("b", "netbox", "https://b"),
                                    source("c", "netbox", "https://c")},
                                   "default");
  CHECK(two["a"][0].find("with sources \"b\" and \"c\" (other") != std::string::npos);
}
