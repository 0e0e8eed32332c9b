// Random ids: UUID v4 shape, version and variant bits, no repeats.
#include "base/ids.hpp"

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("UUID v4 text has the version and variant bits", "[base][ids]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto id = sr::base::new_uuid_v4();
    REQUIRE(id.size() == 36);
    CHECK(id[8] == '-');
    CHECK(id[13] == '-');
    CHECK(id[14] == '4');
    CHECK(id[18] == '-');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    CHECK(id[23] == '-');
    CHECK(id.find_first_not_of("0123456789abcdef-") == std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("random_u64 varies", "[base][ids]") {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10; ++i) seen.insert(sr::base::random_u64());
  CHECK(seen.size() == 10);
}
