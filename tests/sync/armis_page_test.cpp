// Armis search pages parsed as they arrive: devices in order, page facts,
// malformed optional fields skipped, broken JSON reported with its offset.
#include "sync/adapters/armis/armis_page.hpp"

#include <catch2/catch.hpp>

using namespace sr::sync::armis;

namespace {

const std::string kPage = R"({"data":{"count":3,"next":3,"prev":null,"results":[
  {"id":1,"ipAddress":"10.0.0.1","macAddress":"aa:bb:cc:dd:ee:01","name":"cam-1","type":"IP Camera",
   "category":"Cameras","manufacturer":"Axis","model":"P1","operatingSystem":"Linux",
   "boundaries":"Corporate","riskLevel":5,"tags":["a","b"],"site":{"name":"HQ","nested":[1,2]}},
  {"id":2,"ipAddress":"10.0.0.2, 10.0.0.3","name":"caf\u00e9 \"2\"","riskLevel":"high","tags":"oops",
   "model":7,"manufacturer":null},
  {"id":"three","ipAddress":"10.0.0.4","tags":["x",5,"y"]}
],"total":3},"success":true})";

std::vector<ArmisDevice> parse_in_pieces(const std::string& page, std::size_t piece,
                                         ArmisPageInfo& info, std::string& error) {
  std::vector<ArmisDevice> out;
  ArmisPageParser p([&](ArmisDevice& d) {
    out.push_back(d);
    return true;
  });
  for (std::size_t at = 0; at < page.size() && error.empty(); at += piece)
    error = p.feed(std::string_view(page).substr(at, piece));
  if (error.empty()) error = p.finish();
  info = p.info();
  return out;
}

}  // namespace

TEST_CASE("a page gives its devices and facts, whatever the pieces", "[sync][armis]") {
  for (std::size_t piece : {std::size_t{1}, std::size_t{13}, kPage.size()}) {
    ArmisPageInfo info;
    std::string error;
    auto devices = parse_in_pieces(kPage, piece, info, error);
    REQUIRE(error.empty());
    REQUIRE(devices.size() == 3);
    CHECK(info.count == 3);
    CHECK(info.next == 3);
    CHECK_FALSE(info.prev);
    CHECK(info.total == 3);
    CHECK(info.success == true);
    CHECK(info.devices == 3);
    const auto& a = devices[0];
    CHECK(a.id == 1);
    CHECK(a.mac_address == "aa:bb:cc:dd:ee:01");
    CHECK(a.operating_system == "Linux");
    CHECK(a.risk_level == 5);
    CHECK(a.tags == std::vector<std::string>{"a", "b"});
    const auto& b = devices[1];
    CHECK(b.ip_address == "10.0.0.2, 10.0.0.3");
    CHECK(b.name == "caf\xc3\xa9 \"2\"");
    CHECK(b.risk_level == 0);   // "high": skipped
    CHECK(b.tags.empty());      // "oops": skipped
    CHECK(b.model.empty());     // 7: skipped
    CHECK_FALSE(devices[2].id);  // "three": skipped, the device kept
    CHECK(devices[2].tags == std::vector<std::string>{"x", "y"});
    CHECK(info.skipped_fields == 5);
  }
}

TEST_CASE("broken pages are errors naming the byte", "[sync][armis]") {
  ArmisPageInfo info;
  std::string error;
  parse_in_pieces(kPage.substr(0, 200), 64, info, error);
  CHECK_THAT(error, Catch::StartsWith("page ends early at byte 200"));
  error.clear();
  parse_in_pieces(R"({"data":{"results":[{"id":1,}]}})", 5, info, error);
  CHECK_THAT(error, Catch::StartsWith("page is not valid JSON at byte"));
  error.clear();
  parse_in_pieces(R"({"data":{}} {"again":1})", 100, info, error);
  CHECK_THAT(error, Catch::StartsWith("page has data after its JSON"));
}

TEST_CASE("the reader can stop a page", "[sync][armis]") {
  int seen = 0;
  ArmisPageParser p([&](ArmisDevice&) { return ++seen < 2; });
  CHECK(p.feed(kPage) == "stopped");
  CHECK(seen == 2);
}
