// config_json sources: lenient parsing, one bad source never stops the
// others, errors name the source and the key, credentials never echoed.
#include "sync/config/source_config.hpp"

#include "contract/source_keys.hpp"
#include "sync/adapters/registry.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

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

TEST_CASE("only what no reading can save refuses a source, naming it and the key; the others run",
          "[sync][config]") {
  auto c = parse_sources(R"({"sources":{
    "good":{"type":"faker"},
    "no-type":{"endpoint":"https://x"},
    "type-object":{"type":{"name":"armis"}},
    "not-object":42,
    "no-endpoint":{"type":"armis","credentials":{"api_key":"K"}},
    "not-a-url":{"type":"netbox","endpoint":"ftp://user:SECRET-pw@nb.example"},
    "queries-object":{"type":"armis","endpoint":"https://a","queries":{"label":"x"}},
    "query-not-object":{"type":"armis","endpoint":"https://a","queries":["in:devices"]},
    "other-type":{"type":"snmp"}}})");
  REQUIRE(c.sources.size() == 1);
  CHECK(c.sources[0].name == "good");
  CHECK(any_contains(c.errors, "source \"no-type\" skipped: type is missing"));
  CHECK(any_contains(c.errors, "source \"type-object\" skipped: type must be a string, not an object"));
  CHECK(any_contains(c.errors, "source \"not-object\" skipped: must be an object, not a number"));
  CHECK(any_contains(c.errors, "source \"no-endpoint\" skipped: endpoint is required"));
  CHECK(any_contains(c.errors, "source \"not-a-url\" skipped: endpoint must be an https:// URL with a host"));
  CHECK(any_contains(c.errors, "source \"queries-object\" skipped: queries must be an array, not an object"));
  CHECK(any_contains(c.errors, "source \"query-not-object\" skipped: queries[0] must be an object, not a string"));
  CHECK(any_contains(c.warnings, "source \"other-type\" not run: type \"snmp\" is not one this agent runs"));
  for (const auto& e : c.errors) CHECK(e.find("SECRET") == std::string::npos);
}

TEST_CASE("fallbacks as the upstream agent takes them, each one a warning on its source", "[sync][config]") {
  auto c = parse_sources(R"({"sources":{"hq":{"type":"  Armis ","endpoint":"https://armis.example",
    "credentials":{"api_key":"K","api_secret":"S","page_size":"lots","nested":{"v":"SECRET-xyz"}},
    "network_blacklist":["10.0.0.0/8","192.168.1.7"," fd00::1 ","not-a-net","10.0.0.0/40",17],
    "poll_interval":"soon","discovery_interval":90000000000.7,"batch_size":"many",
    "insecure_skip_verify":"maybe","colour":"blue"}}})");
  REQUIRE(c.errors.empty());
  REQUIRE(c.sources.size() == 1);
  const auto& s = c.sources[0];
  CHECK(s.type == "armis");  // trimmed, any case
  CHECK(s.network_blacklist == std::vector<std::string>{"10.0.0.0/8", "192.168.1.7/32", "fd00::1/128"});
  CHECK_FALSE(s.setting("page_size"));  // the adapter's default
  CHECK(s.credentials.count("api_key"));
  CHECK_FALSE(s.credentials.count("nested"));
  CHECK(s.poll_interval == 0s);           // the runtime's default
  CHECK(s.discovery_interval == 90s);     // a float of nanoseconds, truncated as Go does
  CHECK(s.batch_size == 0);
  CHECK_FALSE(s.insecure_skip_verify);    // unreadable: certificates stay checked
  const auto& w = s.warnings;
  CHECK(any_contains(w, "network_blacklist[1]: \"192.168.1.7\" is an address, not a CIDR: read as 192.168.1.7/32"));
  CHECK(any_contains(w, "network_blacklist[2]: \"fd00::1\" is an address, not a CIDR: read as fd00::1/128"));
  CHECK(any_contains(w, "network_blacklist[3]: \"not-a-net\" is not a CIDR (no /prefix): skipped"));
  CHECK(any_contains(w, "network_blacklist[4]: \"10.0.0.0/40\" is not a CIDR (prefix length must be 0..32): skipped"));
  CHECK(any_contains(w, "network_blacklist[5] must be a CIDR string, not a number: skipped"));
  CHECK(any_contains(w, "page_size \"lots\" is not a whole number of 1 or more: the default (100) is used"));
  CHECK(any_contains(w, "credentials.nested must be a string, not an object: ignored"));
  CHECK(any_contains(w, "poll_interval: invalid duration \"soon\""));
  CHECK(any_contains(w, "batch_size must be a whole number, not \"many\": ignored"));
  CHECK(any_contains(w, "insecure_skip_verify must be true or false, not \"maybe\": false"));
  CHECK(any_contains(w, "unknown key \"colour\" ignored"));
  CHECK(w.size() == 11);
  for (const auto& text : w) CHECK(text.find("SECRET") == std::string::npos);
}

TEST_CASE("page sizes above what a type takes are clamped; settings that do not read fall back",
          "[sync][config]") {
  auto c = parse_sources(R"({"sources":{
    "nb":{"type":"netbox","endpoint":"https://nb","credentials":{"token":"T","page_size":"50000"},
          "request_timeout":"fast","max_page_bytes":"12"},
    "f":{"type":"faker","total_devices":"-3","churn":"2","seed":"7"}}})");
  REQUIRE(c.sources.size() == 2);
  const auto& nb = c.sources[0].name == "nb" ? c.sources[0] : c.sources[1];
  const auto& f = c.sources[0].name == "f" ? c.sources[0] : c.sources[1];
  CHECK(nb.setting("page_size") == "10000");
  CHECK(any_contains(nb.warnings, "page_size 50000 is more than a netbox source takes: 10000 is used"));
  CHECK_FALSE(nb.setting("request_timeout"));
  CHECK(any_contains(nb.warnings, "request_timeout \"fast\" is not a duration of 1ms or more: the default is used"));
  CHECK_FALSE(nb.setting("max_page_bytes"));
  CHECK_FALSE(f.setting("total_devices"));
  CHECK_FALSE(f.setting("churn"));
  CHECK(f.setting("seed") == "7");
  CHECK(f.warnings.size() == 2);
}

TEST_CASE("an http:// endpoint runs, with a warning that credentials travel in clear", "[sync][config]") {
  auto c = parse_sources(R"({"sources":{"nb":{"type":"netbox","endpoint":"http://netbox.lan:8000",
    "credentials":{"token":"T"}}}})");
  REQUIRE(c.sources.size() == 1);
  CHECK(any_contains(c.sources[0].warnings,
                     "endpoint is http://: the API credentials and the inventory travel unencrypted"));
}

TEST_CASE("a config as the platform's generator writes it reads without a warning", "[sync][config]") {
  // sync_config_generator.ex: every value a string, page_size in credentials,
  // prefix "<type>/", the source's UUID as sync_service_id.
  auto c = parse_sources(R"({"agent_id":"agent-7","sources":{
    "armis-hq":{"type":"armis","endpoint":"https://armis.example","prefix":"armis/",
      "credentials":{"api_key":"K","api_secret":"S","page_size":"500"},
      "queries":[{"label":"all","query":"in:devices","sweep_modes":[]}],
      "poll_interval":"5m","discovery_interval":"1h","sweep_interval":"30m","partition":"default",
      "network_blacklist":["10.9.0.0/16"],"custom_field":"sr_available","batch_size":"500",
      "insecure_skip_verify":"false","sync_service_id":"0b0e6c1e-5f5b-4c2e-9a57-6c7f1c1d2e3f"}}})");
  REQUIRE(c.errors.empty());
  REQUIRE(c.sources.size() == 1);
  CHECK(c.sources[0].warnings.empty());
  CHECK(c.sources[0].setting("page_size") == "500");
  CHECK(c.sources[0].poll_interval == 5min);
}

TEST_CASE("sloppy producers: booleans and numbers as strings, unknown keys warned", "[sync][config]") {
  auto c = parse_sources(R"({"sources":{"f":{"type":"faker","insecure_skip_verify":1,"batch_size":7,
    "total_devices":"1000","seed":3,"colour":"blue","partition":7}}})");
  REQUIRE(c.sources.size() == 1);
  CHECK(c.sources[0].insecure_skip_verify);
  CHECK(c.sources[0].batch_size == 7);
  CHECK(c.sources[0].setting("total_devices") == "1000");
  CHECK(c.sources[0].setting("seed") == "3");
  CHECK(c.sources[0].partition == "7");
  CHECK(any_contains(c.sources[0].warnings, "unknown key \"colour\" ignored"));
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

// Sizes, booleans and integers as text are base's (tests/base/text_test.cpp).
TEST_CASE("CIDRs as text", "[sync][config]") {
  CHECK(validate_cidr("192.168.0.0/16").empty());
  CHECK(validate_cidr("::/0").empty());
  CHECK(validate_cidr("10.0.0.0") == "\"10.0.0.0\" is not a CIDR (no /prefix)");
  CHECK(validate_cidr("10.0.0.300/8") == "\"10.0.0.300/8\" is not a CIDR (bad address)");
  CHECK(validate_cidr("fd00::/129") == "\"fd00::/129\" is not a CIDR (prefix length must be 0..128)");
}

TEST_CASE("the adapters' memory caps are read as top-level keys, not warned as unknown", "[sync][config]") {
  auto c = parse_sources(R"({"sources":{
    "hq":{"type":"armis","endpoint":"https://armis.example","credentials":{"api_key":"K","api_secret":"S"},
          "max_merged_devices":"500"},
    "dc":{"type":"netbox","endpoint":"https://netbox.example","credentials":{"api_token":"T"},
          "max_seen_devices":2000}}})");
  REQUIRE(c.fatal.empty());
  const auto* hq = find(c, "hq");
  const auto* dc = find(c, "dc");
  REQUIRE(hq);
  REQUIRE(dc);
  CHECK(hq->setting("max_merged_devices") == "500");
  CHECK(dc->setting("max_seen_devices") == "2000");
  CHECK(hq->warnings.empty());
  CHECK(dc->warnings.empty());
}

TEST_CASE("every key of the contract's common schema has a reader", "[sync][config]") {
  std::string source = R"("type":"faker")";
  for (auto key : sr::contract::common_source_keys())
    if (key != "type") source += fmt::format(R"(,"{}":null)", key);
  auto c = parse_sources(R"({"sources":{"f":{)" + source + "}}}");
  REQUIRE(c.sources.size() == 1);
  CHECK(c.sources[0].warnings.empty());
  // Each type's options are taken as settings, never warned as unknown.
  for (const auto& type : sr::contract::source_types())
    for (auto key : type.options) {
      auto one = parse_sources(fmt::format(R"({{"sources":{{"f":{{"type":"faker","{}":"1"}}}}}})", key));
      REQUIRE(one.sources.size() == 1);
      CHECK(one.sources[0].options.count(std::string(key)) == 1);
    }
}

TEST_CASE("the registry runs exactly the contract's source types", "[sync][config]") {
  REQUIRE(adapter_types().size() == sr::contract::source_types().size());
  for (const auto& type : adapter_types()) {
    CAPTURE(type.type);
    REQUIRE(sr::contract::find_source_type(type.type) != nullptr);
    CHECK(&type.keys() == sr::contract::find_source_type(type.type));
    CHECK(find_adapter_type(type.type) == &type);
    CHECK(type.page_size.default_size <= type.page_size.max_size);
  }
  CHECK(adapter_type_list() == sr::contract::source_type_list());
  CHECK(find_adapter_type("Armis") == nullptr);  // the config parser lower-cases first
  CHECK(page_size_limits("netbox").max_size == 10'000);
  CHECK(page_size_limits("unknown").max_size == page_size_limits("armis").max_size);
}
