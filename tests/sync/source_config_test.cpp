// config_json sources: lenient parsing, one bad source never stops the
// others, errors name the source and the key, credentials never echoed.
#include "sync/config/source_config.hpp"

#include <catch2/catch.hpp>

using namespace sr::sync;
using namespace std::chrono_literals;

namespace {
const SourceConfig* find(const SourcesConfig& c, const std::string& name) {
  for (const auto& s : c.sources)
    if (s.name == name) return &s;
  return nullptr;
}
bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("a full source is read with every key of the schema", "[sync][config]") {
  auto c = parse_sources(R"({"agent_id":"a","sweep":{},"poll_interval":"10m","sources":{
    "hq":{"type":"armis","endpoint":"https://armis.example","prefix":"armis/",
          "credentials":{"api_key":"K","api_secret":"S","page_size":"500"},
          "queries":[{"label":"all","query":"in:devices","sweep_modes":["icmp"]}],
          "poll_interval":"90s","discovery_interval":"1h30m","sweep_interval":"5m",
          "agent_id":"agent-9","gateway_id":"gw-1","partition":"p1","network_blacklist":["10.0.0.0/8","fd00::/8"],
          "custom_field":"cf","batch_size":"250","insecure_skip_verify":"true","sync_service_id":"6b1f..."}}})");
  REQUIRE(c.errors.empty());
  REQUIRE(c.fatal.empty());
  const auto* s = find(c, "hq");
  REQUIRE(s);
  CHECK(s->type == "armis");
  CHECK(s->endpoint == "https://armis.example");
  CHECK(s->credentials.at("api_key") == "K");
  CHECK(s->setting("page_size") == "500");
  REQUIRE(s->queries.size() == 1);
  CHECK(s->queries[0].label == "all");
  CHECK(s->queries[0].sweep_modes == std::vector<std::string>{"icmp"});
  CHECK(s->poll_interval == 90s);
  CHECK(s->discovery_interval == 90min);
  CHECK(s->sweep_interval == 5min);
  CHECK(s->agent_id == "agent-9");
  CHECK(s->gateway_id == "gw-1");
  CHECK(s->partition == "p1");
  CHECK(s->network_blacklist.size() == 2);
  CHECK(s->batch_size == 250);
  CHECK(s->insecure_skip_verify);
  CHECK(s->sync_service_id == "6b1f...");
}

TEST_CASE("the top-level poll_interval is the default; numbers are nanoseconds", "[sync][config]") {
  auto c = parse_sources(R"({"poll_interval":"10m","sources":{
    "a":{"type":"faker"},"b":{"type":"faker","poll_interval":30000000000}}})");
  CHECK(find(c, "a")->poll_interval == 10min);
  CHECK(find(c, "b")->poll_interval == 30s);
}

TEST_CASE("a bad source is skipped with its name and key; the others run", "[sync][config]") {
  auto c = parse_sources(R"({"sources":{
    "good":{"type":"faker"},
    "bad-duration":{"type":"faker","poll_interval":"soon"},
    "bad-cidr":{"type":"armis","network_blacklist":["10.0.0.0/33"]},
    "bad-creds":{"type":"armis","credentials":{"api_key":{"nested":"SECRET-xyz"}}},
    "bad-bool":{"type":"netbox","insecure_skip_verify":"maybe"},
    "no-type":{"endpoint":"https://x"},
    "not-object":42,
    "other-type":{"type":"snmp"}}})");
  REQUIRE(c.sources.size() == 1);
  CHECK(c.sources[0].name == "good");
  CHECK(any_contains(c.errors, "source \"bad-duration\" skipped: poll_interval invalid duration \"soon\""));
  CHECK(any_contains(c.errors, "source \"bad-cidr\" skipped: network_blacklist[0] \"10.0.0.0/33\" is not a CIDR"));
  CHECK(any_contains(c.errors, "source \"bad-creds\" skipped: credentials.api_key must be a string"));
  CHECK(any_contains(c.errors, "source \"bad-bool\" skipped: insecure_skip_verify must be true or false"));
  CHECK(any_contains(c.errors, "source \"no-type\" skipped: type is missing"));
  CHECK(any_contains(c.errors, "source \"not-object\" skipped: must be an object, not a number"));
  CHECK(any_contains(c.warnings, "source \"other-type\" skipped: type \"snmp\""));
  for (const auto& e : c.errors) CHECK(e.find("SECRET-xyz") == std::string::npos);
}

TEST_CASE("sloppy producers: booleans and numbers as strings, unknown keys warned", "[sync][config]") {
  auto c = parse_sources(R"({"sources":{"f":{"type":"faker","insecure_skip_verify":1,"batch_size":7,
    "total_devices":"1000","seed":3,"colour":"blue"}}})");
  REQUIRE(c.sources.size() == 1);
  CHECK(c.sources[0].insecure_skip_verify);
  CHECK(c.sources[0].batch_size == 7);
  CHECK(c.sources[0].setting("total_devices") == "1000");
  CHECK(c.sources[0].setting("seed") == "3");
  CHECK(any_contains(c.warnings, "source \"f\": unknown key \"colour\" ignored"));
}

TEST_CASE("a document that is not a config is fatal; no sources is an empty config", "[sync][config]") {
  CHECK(parse_sources("{not json").fatal.find("config_json is not valid JSON") == 0);
  CHECK(parse_sources("[1]").fatal == "config_json must be a JSON object, not an array");
  CHECK(parse_sources(R"({"sources":[]})").fatal == "config_json: sources must be an object, not an array");
  auto empty = parse_sources(R"({"sources":{}})");
  CHECK(empty.fatal.empty());
  CHECK(empty.sources.empty());
  CHECK(parse_sources("").sources.empty());
}

TEST_CASE("the fingerprint changes with any key and with the default interval", "[sync][config]") {
  auto fp = [](const std::string& json) { return parse_sources(json).sources.at(0).fingerprint; };
  const auto base = fp(R"({"sources":{"f":{"type":"faker","seed":1}}})");
  CHECK(base == fp(R"({"sources":{"f":{"type":"faker","seed":1}}})"));
  CHECK(base != fp(R"({"sources":{"f":{"type":"faker","seed":2}}})"));
  CHECK(base != fp(R"({"poll_interval":"1m","sources":{"f":{"type":"faker","seed":1}}})"));
}

TEST_CASE("sizes, booleans, integers and CIDRs as text", "[sync][config]") {
  CHECK(parse_size_text("3145728") == 3145728u);
  CHECK(parse_size_text("512KB") == 512u * 1024);
  CHECK(parse_size_text("3MiB") == 3u << 20);
  CHECK(parse_size_text("2GB") == 2ull << 30);
  CHECK_FALSE(parse_size_text("3 MB"));
  CHECK_FALSE(parse_size_text("MB"));
  CHECK(parse_bool_text("True") == true);
  CHECK(parse_bool_text("0") == false);
  CHECK_FALSE(parse_bool_text("maybe"));
  CHECK(parse_int_text("-5") == -5);
  CHECK_FALSE(parse_int_text("5x"));
  CHECK(validate_cidr("192.168.0.0/16").empty());
  CHECK(validate_cidr("::/0").empty());
  CHECK(validate_cidr("10.0.0.0") == "\"10.0.0.0\" is not a CIDR (no /prefix)");
  CHECK(validate_cidr("10.0.0.300/8") == "\"10.0.0.300/8\" is not a CIDR (bad address)");
  CHECK(validate_cidr("fd00::/129") == "\"fd00::/129\" is not a CIDR (prefix length must be 0..128)");
}
