// DeviceUpdate JSON: written straight into a buffer, valid JSON, exact keys.
#include "base/clock.hpp"
#include "contract/device_json.hpp"
#include "sync/device/device_update.hpp"
#include "sync/device/network_filter.hpp"

#include <boost/json/parse.hpp>
#include <cstdio>
#include <catch2/catch.hpp>

using namespace sr::sync;
namespace json = boost::json;

namespace {
DeviceUpdate sample() {
  DeviceUpdate d;
  d.device_id = "edge:10.0.0.1";
  d.ip = "10.0.0.1";
  d.mac = "AA:BB:CC:DD:EE:FF";
  d.hostname = "host \"one\"\\\n\t\x01";
  d.source = "armis";
  d.agent_id = "agent-1";
  d.partition = "edge";
  d.timestamp = sr::base::rfc3339_nanos(1'700'000'000'123'456'789);
  d.meta("integration_type", "armis");
  d.meta("empty", "");  // left out
  d.meta("unicode", "Zürich");
  return d;
}
}  // namespace

TEST_CASE("a device body closed with '}' is valid JSON with the contract's keys", "[sync][device]") {
  std::string body;
  append_device_body(body, sample());
  body += '}';
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  REQUIRE_FALSE(ec);
  const auto& o = v.as_object();
  CHECK(o.at("device_id") == "edge:10.0.0.1");
  CHECK(o.at("ip") == "10.0.0.1");
  CHECK(o.at("mac") == "AA:BB:CC:DD:EE:FF");
  CHECK(o.at("hostname") == "host \"one\"\\\n\t\x01");
  CHECK(o.at("source") == "armis");
  CHECK(o.at("partition") == "edge");
  CHECK(o.at("timestamp") == "2023-11-14T22:13:20.123456789Z");
  CHECK(o.at("confidence") == 7);
  CHECK_FALSE(o.contains("is_available"));  // integrations leave it unknown
  CHECK_FALSE(o.contains("gateway_id"));    // empty optional fields are left out
  CHECK(o.at("metadata").as_object().size() == 2);
  CHECK(o.at("metadata").at("unicode") == "Zürich");
  CHECK_FALSE(o.at("metadata").as_object().contains("agent_id"));
}

TEST_CASE("JSON strings escape quotes, backslashes and control characters only", "[sync][device]") {
  std::string out;
  sr::contract::append_json_string(out, std::string("a\"b\\c\nd\x1f" "e/\xC3\xA9"));
  CHECK(out == "\"a\\\"b\\\\c\\nd\\u001fe/\xC3\xA9\"");  // UTF-8 passes through
  out.clear();
  sr::contract::append_json_string(out, "");
  CHECK(out == "\"\"");
}

TEST_CASE("network_blacklist drops IPv4 and IPv6 addresses inside the CIDRs", "[sync][device]") {
  NetworkFilter f({"10.0.0.0/8", "192.168.1.128/25", "fd00::/8", "203.0.113.7/32"});
  CHECK(f.blocks("10.255.1.1"));
  CHECK_FALSE(f.blocks("11.0.0.1"));
  CHECK(f.blocks("192.168.1.200"));
  CHECK_FALSE(f.blocks("192.168.1.127"));
  CHECK(f.blocks("fd12::1"));
  CHECK_FALSE(f.blocks("fe80::1"));
  CHECK(f.blocks("203.0.113.7"));
  CHECK_FALSE(f.blocks("203.0.113.8"));
  CHECK_FALSE(f.blocks("not-an-ip"));
  CHECK(NetworkFilter({"0.0.0.0/0"}).blocks("8.8.8.8"));
  CHECK(NetworkFilter({}).empty());
}

TEST_CASE("the word-at-a-time escaper agrees with a byte-by-byte one", "[sync][device]") {
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else out += static_cast<char>(c);
    }
    return out + "\"";
  };
  std::uint64_t x = 0x243F6A8885A308D3ull;
  const std::string alphabet = std::string("abcXYZ019 /\"\\\x01\x1f\n\t\x7f\xc3\xa9\xff", 22);
  for (int n = 0; n < 3000; ++n) {
    std::string s;
    const auto len = static_cast<std::size_t>(n % 41);
    for (std::size_t i = 0; i < len; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      // Mostly plain letters, sometimes a character that needs escaping.
      s += (x % 5 == 0) ? alphabet[(x >> 8) % alphabet.size()] : static_cast<char>('a' + (x >> 8) % 26);
    }
    std::string out;
    sr::contract::append_json_string(out, s);
    INFO("input length " << len);
    REQUIRE(out == reference(s));
  }
}
