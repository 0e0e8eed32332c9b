// IPs, CIDR host parts, MAC spellings and comma lists, as integrations write them.
#include "sync/device/address_text.hpp"

#include <catch2/catch.hpp>

using namespace sr::sync;

TEST_CASE("IPs are made canonical; junk is none", "[sync][address]") {
  CHECK(canonical_ip("10.0.0.1") == "10.0.0.1");
  CHECK(canonical_ip(" 10.0.0.1 ") == "10.0.0.1");
  CHECK(canonical_ip("0.0.0.0") == "0.0.0.0");
  CHECK(canonical_ip("255.255.255.255") == "255.255.255.255");
  CHECK(canonical_ip("192.168.100.9") == "192.168.100.9");
  CHECK(canonical_ip("::ffff:10.1.2.3") == "::ffff:10.1.2.3");
  CHECK(canonical_ip("2001:DB8:0:0::1") == "2001:db8::1");
  CHECK_FALSE(canonical_ip("10.0.0.256"));
  CHECK_FALSE(canonical_ip("10.0.0"));
  CHECK_FALSE(canonical_ip("host.example"));
  CHECK_FALSE(canonical_ip(""));
  CHECK(ip_of_cidr("192.168.1.10/24") == "192.168.1.10");
  CHECK(ip_of_cidr("fd00::5/64") == "fd00::5");
  CHECK(ip_of_cidr("192.168.1.10") == "192.168.1.10");
  CHECK_FALSE(ip_of_cidr("/24"));
}

TEST_CASE("MACs in every common spelling, normalised; others refused", "[sync][address]") {
  for (auto spelling : {"aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F", "aabb.ccdd.ee0f", "aabbccddee0f"})
    CHECK(normalise_mac(spelling) == "AA:BB:CC:DD:EE:0F");
  for (auto bad : {"aa:bb:cc:dd:ee", "aa:bb-cc:dd:ee:0f", "gg:bb:cc:dd:ee:0f", "aabb.ccdd-ee0f",
                   "aa:bb:cc:dd:ee:0f:11", ""})
    CHECK_FALSE(normalise_mac(bad));
}

TEST_CASE("comma lists: trimmed, empty items dropped", "[sync][address]") {
  CHECK(split_list("10.0.0.1, 10.0.0.2,,10.0.0.3 ") ==
        std::vector<std::string_view>{"10.0.0.1", "10.0.0.2", "10.0.0.3"});
  CHECK(split_list("").empty());
  CHECK(split_list(" , ").empty());
  std::vector<std::string_view> first_two;
  for_each_list_item("a, b ,c", [&](std::string_view item) {
    first_two.push_back(item);
    return first_two.size() < 2;  // stops after the second
  });
  CHECK(first_two == std::vector<std::string_view>{"a", "b"});
}

TEST_CASE("lists also split on semicolons and white space, as some Armis collectors write them",
          "[sync][address]") {
  CHECK(split_list("aa:bb:cc:dd:ee:01;aa:bb:cc:dd:ee:02") ==
        std::vector<std::string_view>{"aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02"});
  CHECK(split_list("aa:bb:cc:dd:ee:01 aa:bb:cc:dd:ee:02\taa:bb:cc:dd:ee:03\n") ==
        std::vector<std::string_view>{"aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:02", "aa:bb:cc:dd:ee:03"});
  CHECK(split_list(" ; ,, \t ").empty());
  // An item that a MAC spelling could contain (":" "-" ".") is never cut.
  CHECK(split_list("aabb.ccdd.ee01;AA-BB-CC-DD-EE-02") ==
        std::vector<std::string_view>{"aabb.ccdd.ee01", "AA-BB-CC-DD-EE-02"});
}
