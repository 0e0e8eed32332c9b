// Source edits of the admin API: names, patches, validation, redaction.
#include "tools/agent-gateway/admin/source_edits.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using namespace sr::gateway;
namespace json = boost::json;

namespace {

json::object obj(const char* text) { return json::parse(text).as_object(); }

}  // namespace

TEST_CASE("source names: letters, digits, '.', '_', '-'; 1 to 64 of them", "[admin][sources]") {
  CHECK(check_source_name("armis-hq_2.lab") == "");
  CHECK(check_source_name("") != "");
  CHECK(check_source_name(std::string(65, 'a')) != "");
  CHECK(check_source_name("a b") != "");
  CHECK(check_source_name("../x") != "");
  CHECK(check_source_name("é") != "");
}

TEST_CASE("a redacted source shows credential keys, never values", "[admin][sources]") {
  auto shown = redacted_source(obj(R"({"type":"armis","endpoint":"https://a","credentials":{"secret_key":"S1","api_key":"S2"}})"));
  CHECK(json::serialize(shown) == R"({"type":"armis","endpoint":"https://a","credentials":["api_key","secret_key"]})");
  // Not an object (a bad file): no values leak either.
  CHECK(json::serialize(redacted_source(obj(R"({"credentials":"S3"})"))) == R"({"credentials":[]})");
}

TEST_CASE("a patch sets, removes, and merges credentials key by key", "[admin][sources]") {
  auto source = obj(R"({"type":"armis","endpoint":"https://a","prefix":"x","credentials":{"api_key":"K","api_secret":"S"}})");
  REQUIRE(merge_patch(source, obj(R"({"endpoint":"https://b","prefix":null,"credentials":{"api_key":"K2","api_secret":null}})")) == "");
  CHECK(json::serialize(source) == R"({"type":"armis","endpoint":"https://b","credentials":{"api_key":"K2"}})");
  REQUIRE(merge_patch(source, obj(R"({"credentials":null})")) == "");
  CHECK_FALSE(source.contains("credentials"));
  CHECK(merge_patch(source, obj(R"({"name":"other"})")).find("cannot change") != std::string::npos);
  CHECK(merge_patch(source, obj(R"({"credentials":"K"})")).find("must be an object") != std::string::npos);
}

TEST_CASE("validation: the agent's parser, the store keys, and what adapters need", "[admin][sources]") {
  std::vector<std::string> warnings;
  CHECK(validate_source("lab", obj(R"({"type":"faker","poll_interval":"10m","enabled":"false"})"), warnings) == "");
  CHECK(validate_source("lab", obj(R"({"type":"faker","enabled":"maybe"})"), warnings).find("enabled") != std::string::npos);
  CHECK(validate_source("lab", obj(R"({"type":"faker","agent_id":7})"), warnings).find("agent_id") != std::string::npos);
  CHECK(validate_source("lab", obj(R"({"endpoint":"https://a"})"), warnings).find("type") != std::string::npos);
  CHECK(validate_source("lab", obj(R"({"type":"snmp"})"), warnings).find("snmp") != std::string::npos);
  // What the agent reads leniently is accepted, with the agent's warning.
  warnings.clear();
  CHECK(validate_source("lab", obj(R"({"type":"faker","poll_interval":"soon"})"), warnings) == "");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "source \"lab\": poll_interval: invalid duration \"soon\": expected a number: the default is used");
  CHECK(validate_source("bad name", obj(R"({"type":"faker"})"), warnings) != "");
  CHECK(validate_source("hq", obj(R"({"type":" ARMIS ","endpoint":"https://a"})"), warnings).find("credentials") !=
        std::string::npos);  // the type as the agent reads it
  // Armis and NetBox need an endpoint and their credentials.
  CHECK(validate_source("hq", obj(R"({"type":"armis","credentials":{"api_key":"k"}})"), warnings).find("endpoint") !=
        std::string::npos);
  CHECK(validate_source("hq", obj(R"({"type":"armis","endpoint":"https://a"})"), warnings).find("credentials") !=
        std::string::npos);
  CHECK(validate_source("hq", obj(R"({"type":"armis","endpoint":"https://a","credentials":{"secret_key":"s"}})"),
                        warnings) == "");
  CHECK(validate_source("dc", obj(R"({"type":"netbox","endpoint":"https://n","credentials":{"token":"t"}})"), warnings) ==
        "");
  CHECK(validate_source("dc", obj(R"({"type":"netbox","endpoint":"https://n","credentials":{"api_key":"t"}})"),
                        warnings)
            .find("api_token") != std::string::npos);
  // A credential's value is never echoed in an error.
  const auto why = validate_source("hq", obj(R"({"type":"armis","endpoint":"https://a","credentials":{"api_key":["TOPSECRET"]}})"),
                                   warnings);
  CHECK(why != "");
  CHECK(why.find("TOPSECRET") == std::string::npos);
}
