#include "base/text/duration.hpp"

#include <catch2/catch.hpp>

using sr::base::parse_duration;
using namespace std::chrono;

TEST_CASE("Go-style durations parse to nanoseconds", "[sync][config][duration]") {
  CHECK(parse_duration("90s").value == seconds(90));
  CHECK(parse_duration("5m").value == minutes(5));
  CHECK(parse_duration("1h30m").value == minutes(90));
  CHECK(parse_duration("1.5h").value == minutes(90));
  CHECK(parse_duration("250ms").value == milliseconds(250));
  CHECK(parse_duration("1m0.5s").value == milliseconds(60500));
  CHECK(parse_duration("10us").value == microseconds(10));
  CHECK(parse_duration("10\xC2\xB5s").value == microseconds(10));
  CHECK(parse_duration("7ns").value == nanoseconds(7));
  CHECK(parse_duration("+2h").value == hours(2));
  CHECK(parse_duration("0").value == nanoseconds(0));
  CHECK(parse_duration("0s").value == nanoseconds(0));
}

TEST_CASE("bad durations are errors that quote the text and say why",
          "[sync][config][duration]") {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const auto& c : {Case{"", "empty"}, Case{"5", "missing or unknown unit"},
                        Case{"5d", "missing or unknown unit"}, Case{"-5m", "negative"},
                        Case{"m", "expected a number"}, Case{"1h.m", "expected a number"},
                        Case{"99999999999h", "too large"}, Case{"+", "no number"},
                        Case{"5m ", "expected a number"}}) {
    INFO("input: \"" << c.text << "\"");
    auto r = parse_duration(c.text);
    CHECK_FALSE(r.value);
    CHECK_THAT(r.error, Catch::Contains(c.why) && Catch::Contains(std::string("\"") + c.text + "\""));
  }
}
