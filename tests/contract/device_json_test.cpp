// The chunk JSON's string escaping, as agent and gateway agree on it.
#include "contract/device_json.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace sr::contract;

namespace {

std::string quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

}  // namespace

TEST_CASE("strings: quotes, backslashes and controls escaped, UTF-8 kept", "[contract]") {
  CHECK(quoted("") == R"("")");
  CHECK(quoted("plain text, longer than eight bytes") == R"("plain text, longer than eight bytes")");
  CHECK(quoted("a\"b\\c") == R"("a\"b\\c")");
  CHECK(quoted("\n\r\t\x01\x1f") == R"("\n\r\t\u0001\u001f")");
  CHECK(quoted("caf\xc3\xa9 \xe2\x80\xa8") == "\"caf\xc3\xa9 \xe2\x80\xa8\"");
  // An escape in every position of an 8-byte word, then after it.
  for (std::size_t at = 0; at < 17; ++at) {
    std::string s(17, 'x');
    s[at] = '"';
    const auto json = quoted(s);
    CHECK(boost::json::parse(json).as_string() == s);
  }
}

TEST_CASE("fields: comma-separated, keys as given", "[contract]") {
  std::string out = "{";
  bool first = true;
  append_json_field(out, device_key::ip, "10.0.0.1", first);
  append_json_field(out, device_key::hostname, "h\"1", first);
  out += '}';
  CHECK(out == R"({"ip":"10.0.0.1","hostname":"h\"1"})");
  CHECK_FALSE(first);
}
