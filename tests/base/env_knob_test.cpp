// Environment knobs: parsing, bounds, and warnings that name the variable.
#include "base/env_knob.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using sr::base::env_knob;
using sr::base::KnobBounds;
using sr::base::KnobUnit;
using sr::base::read_knob;

TEST_CASE("a count below its floor is raised, with a warning", "[base][env]") {
  std::vector<std::string> w;
  CHECK(read_knob("HOSTS", "5000", KnobUnit::count, {100}, 20000, w) == 5000);
  CHECK(w.empty());
  CHECK(read_knob("HOSTS", "5", KnobUnit::count, {100}, 20000, w) == 100);
  REQUIRE(w.size() == 1);
  CHECK(w[0] == "HOSTS=5 is below 100: using 100");
  CHECK(read_knob("HOSTS", "lots", KnobUnit::count, {100}, 20000, w) == 20000);
  CHECK(w[1] == "HOSTS=\"lots\" is not a number: using 20000");
  CHECK(read_knob("HOSTS", "-3", KnobUnit::count, {}, 7, w) == 7);
}

TEST_CASE("a size outside its range is clamped, with a warning", "[base][env]") {
  const KnobBounds range{64 << 10, 15 << 20};
  std::vector<std::string> w;
  CHECK(read_knob("BYTES", "1MiB", KnobUnit::bytes, range, 3 << 20, w) == 1u << 20);
  CHECK(w.empty());
  CHECK(read_knob("BYTES", "1KB", KnobUnit::bytes, range, 3 << 20, w) == 64u << 10);
  CHECK(w.at(0) == "BYTES=1KB is outside 65536..15728640: using 65536");
  CHECK(read_knob("BYTES", "1GB", KnobUnit::bytes, range, 3 << 20, w) == 15u << 20);
  CHECK(read_knob("BYTES", "3 MB", KnobUnit::bytes, range, 3 << 20, w) == 3u << 20);
  CHECK(w.at(2) == "BYTES=\"3 MB\" is not a size: using 3145728");
}

TEST_CASE("unset or empty variables keep the default silently", "[base][env]") {
  std::vector<std::string> w;
  ::unsetenv("SR_BASE_TEST_KNOB");
  CHECK(env_knob("SR_BASE_TEST_KNOB", KnobUnit::count, {}, 9, w) == 9);
  ::setenv("SR_BASE_TEST_KNOB", "", 1);
  CHECK(env_knob("SR_BASE_TEST_KNOB", KnobUnit::count, {}, 9, w) == 9);
  CHECK(w.empty());
  ::setenv("SR_BASE_TEST_KNOB", "12", 1);
  CHECK(env_knob("SR_BASE_TEST_KNOB", KnobUnit::count, {}, 9, w) == 12);
  CHECK(sr::base::env_text("SR_BASE_TEST_KNOB") == "12");
  ::unsetenv("SR_BASE_TEST_KNOB");
}
