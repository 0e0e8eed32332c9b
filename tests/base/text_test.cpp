// Size, bool and whole-number text.
#include "base/text/scalars.hpp"
#include "base/text/size.hpp"

#include <catch2/catch.hpp>

using sr::base::BoolSpelling;
using sr::base::parse_bool_text;
using sr::base::parse_int_text;
using sr::base::parse_size_text;
using sr::base::parse_uint_text;

TEST_CASE("sizes are 1024-based in any spelling, without spaces", "[base][text]") {
  CHECK(parse_size_text("3145728") == 3145728u);
  CHECK(parse_size_text("512KB") == 512u * 1024);
  CHECK(parse_size_text("512KiB") == 512u * 1024);
  CHECK(parse_size_text("3MiB") == 3u << 20);
  CHECK(parse_size_text("3mb") == 3u << 20);
  CHECK(parse_size_text("16M") == 16u << 20);
  CHECK(parse_size_text("2GB") == 2ull << 30);
  CHECK(parse_size_text("100B") == 100u);
  // The documented spelling has no space: "3 MB" is refused, not read as 3.
  CHECK_FALSE(parse_size_text("3 MB"));
  CHECK_FALSE(parse_size_text(" 16M"));
  CHECK_FALSE(parse_size_text("16M "));
  CHECK_FALSE(parse_size_text(""));
  CHECK_FALSE(parse_size_text("MB"));
  CHECK_FALSE(parse_size_text("-1"));
  CHECK_FALSE(parse_size_text("8XB"));
  CHECK_FALSE(parse_size_text("99999999999999999999"));
  CHECK_FALSE(parse_size_text("18446744073709551615GB"));
}

TEST_CASE("booleans: the lenient and the strict spelling", "[base][text]") {
  CHECK(parse_bool_text("True") == true);
  CHECK(parse_bool_text("yes") == true);
  CHECK(parse_bool_text("0") == false);
  CHECK(parse_bool_text("no") == false);
  CHECK(parse_bool_text("") == false);
  CHECK_FALSE(parse_bool_text("maybe"));
  CHECK_FALSE(parse_bool_text("tRUE"));
  CHECK(parse_bool_text("tRUE", BoolSpelling::strict) == true);
  CHECK(parse_bool_text("FALSE", BoolSpelling::strict) == false);
  CHECK_FALSE(parse_bool_text("yes", BoolSpelling::strict));
  CHECK_FALSE(parse_bool_text("", BoolSpelling::strict));
}

TEST_CASE("whole numbers, nothing around them", "[base][text]") {
  CHECK(parse_int_text("-5") == -5);
  CHECK(parse_int_text("42") == 42);
  CHECK_FALSE(parse_int_text("5x"));
  CHECK_FALSE(parse_int_text(" 5"));
  CHECK_FALSE(parse_int_text(""));
  CHECK(parse_uint_text("18446744073709551615") == 18446744073709551615ull);
  CHECK_FALSE(parse_uint_text("-1"));
}
