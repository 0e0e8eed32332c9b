// The gateway's config store: tenant isolation, assignment, versions,
// reloads, and bad input that never stops the rest.
#include "tests/support/temp_dir.hpp"
#include "tools/agent-gateway/config/config_store.hpp"
#include "base/text/size.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

using namespace sr::gateway;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct Store {
  sr::test::TempDir temp{"sr-store-test"};
  const fs::path& dir = temp.path;

  // Writes a file and moves its mtime on, so a reload sees a change without waiting.
  void write(const std::string& name, const std::string& text) {
    const auto path = dir / name;
    const bool existed = fs::exists(path);
    const auto before = existed ? fs::last_write_time(path) : fs::file_time_type{};
    std::ofstream(path, std::ios::trunc) << text;
    if (existed) fs::last_write_time(path, before + std::chrono::seconds(1));
  }
};

std::vector<std::string> names(const AgentConfig& c) {
  std::vector<std::string> out;
  const auto doc = json::parse(c.config_json);
  for (const auto& kv : doc.at("sources").as_object()) out.emplace_back(kv.key());
  std::sort(out.begin(), out.end());
  return out;
}

bool has_error(const ConfigStore& s, const std::string& text) {
  for (const auto& e : s.errors())
    if (e == text) return true;
  return false;
}

}  // namespace

TEST_CASE("tenants are isolated; assignment and enabled filter sources", "[gateway][store]") {
  Store s;
  s.write("acme.json", R"({"sources":{
    "a": {"type":"armis"},
    "b": {"type":"netbox","agent_id":"agent-1"},
    "c": {"type":"netbox","agent_id":"agent-9"},
    "d": {"type":"faker","enabled":false},
    "e": {"type":"faker","enabled":"false"},
    "f": {"type":"faker","enabled":"true"}}})");
  s.write("globex.json", R"({"sources":{"g": {"type":"armis"}}})");
  ConfigStore store(s.dir);
  CHECK(store.reload() == std::vector<std::string>{"acme", "globex"});
  CHECK(store.errors().empty());
  CHECK(names(store.config_for("acme", "agent-1")) == std::vector<std::string>{"a", "b", "f"});
  CHECK(names(store.config_for("acme", "agent-2")) == std::vector<std::string>{"a", "f"});
  CHECK(names(store.config_for("globex", "agent-1")) == std::vector<std::string>{"g"});
  CHECK(names(store.config_for("nobody", "agent-1")).empty());
  // The store's own keys never reach the agent.
  const auto json_text = store.config_for("acme", "agent-1").config_json;
  CHECK(json_text.find("enabled") == std::string::npos);
  CHECK(json_text.find("agent-9") == std::string::npos);
}

TEST_CASE("config_json is canonical and versioned by its SHA-256", "[gateway][store]") {
  Store s;
  s.write("acme.json", R"({"poll_interval":"10m","sources":{"z":{"type":"faker","b":1,"a":[2,{"y":1,"x":2}]}}})");
  ConfigStore store(s.dir);
  store.reload();
  const auto c = store.config_for("acme", "agent-1");
  CHECK(c.config_json ==
        R"({"agent_id":"agent-1","poll_interval":"10m","sources":{"z":{"a":[2,{"x":2,"y":1}],"b":1,"type":"faker"}}})");
  CHECK(c.config_version.size() == 65);
  CHECK(c.config_timestamp > 0);

  // Same content, other order and spacing: same version.
  s.write("acme.json", "{ \"sources\" : {\"z\":{\"b\":1,\"type\":\"faker\",\"a\":[2,{\"x\":2,\"y\":1}]}},\n \"poll_interval\":\"10m\" }");
  CHECK(store.reload().empty());
  CHECK(store.config_for("acme", "agent-1").config_version == c.config_version);
  // Other content: another version.
  s.write("acme.json", R"({"sources":{"z":{"type":"faker","b":2}}})");
  CHECK(store.reload() == std::vector<std::string>{"acme"});
  CHECK(store.config_for("acme", "agent-1").config_version != c.config_version);
  CHECK(canonical_json(R"({"b":[1,{"d":1,"c":2}],"a":null})") == R"({"a":null,"b":[1,{"c":2,"d":1}]})");
}

TEST_CASE("SHA-256 of a known text", "[gateway][store]") {
  Store s;
  ConfigStore store(s.dir);
  store.reload();
  const auto c = store.config_for("none", "x");
  CHECK(c.config_json == R"({"agent_id":"x","sources":{}})");
  // sha256('{"agent_id":"x","sources":{}}'), computed with sha256sum
  CHECK(c.config_version == "v" "4b83f3846cad72243c5ebb86055f7ccd2de8a713d1e48e10ad8d1912d3dd779a");
}

TEST_CASE("reload reports changes, additions and removals", "[gateway][store]") {
  Store s;
  s.write("acme.json", R"({"sources":{"a":{"type":"armis"}}})");
  ConfigStore store(s.dir);
  CHECK(store.reload() == std::vector<std::string>{"acme"});
  CHECK(store.reload().empty());
  s.write("globex.json", R"({"sources":{}})");
  CHECK(store.reload() == std::vector<std::string>{"globex"});
  fs::remove(s.dir / "acme.json");
  CHECK(store.reload() == std::vector<std::string>{"acme"});
  CHECK(store.tenants() == std::vector<std::string>{"globex"});
  s.write(".acme.json.swp", "junk");  // editors' files are not tenants
  CHECK(store.reload().empty());
}

TEST_CASE("a broken file keeps the last good content until it is fixed", "[gateway][store]") {
  Store s;
  s.write("acme.json", R"({"sources":{"a":{"type":"armis"}}})");
  ConfigStore store(s.dir);
  store.reload();
  const auto good = store.config_for("acme", "agent-1");
  s.write("acme.json", "{\"sources\": {\n  \"a\": {\"type\": \"armis\",, }\n}}");
  CHECK(store.reload().empty());
  REQUIRE(store.errors().size() == 1);
  CHECK_THAT(store.errors().front(), Catch::StartsWith("acme.json: not JSON: "));
  CHECK_THAT(store.errors().front(), Catch::EndsWith("at line 2, column 25"));
  CHECK(store.config_for("acme", "agent-1").config_version == good.config_version);
  s.write("acme.json", R"({"sources":{"b":{"type":"netbox"}}})");
  CHECK(store.reload() == std::vector<std::string>{"acme"});
  CHECK(store.errors().empty());
  CHECK(names(store.config_for("acme", "agent-1")) == std::vector<std::string>{"b"});
}

TEST_CASE("bad sources are skipped with an error naming file, source and key",
          "[gateway][store]") {
  Store s;
  s.write("acme.json", R"({"sources":{
    "ok": {"type":"armis"},
    "no-type": {"endpoint":"https://x"},
    "not-object": 5,
    "bad-enabled": {"type":"faker","enabled":"maybe"},
    "bad-agent": {"type":"faker","agent_id":7}}})");
  ConfigStore store(s.dir);
  store.reload();
  CHECK(names(store.config_for("acme", "a")) == std::vector<std::string>{"ok"});
  CHECK(has_error(store, "acme.json: source 'no-type': missing \"type\""));
  CHECK(has_error(store, "acme.json: source 'not-object': not an object"));
  CHECK(has_error(store, "acme.json: source 'bad-enabled': \"enabled\" must be true or false"));
  CHECK(has_error(store, "acme.json: source 'bad-agent': \"agent_id\" must be a string"));
}

TEST_CASE("reserved and malformed tenant names are refused", "[gateway][store]") {
  Store s;
  s.write("platform.json", R"({"sources":{"a":{"type":"armis"}}})");
  s.write("Bad_Name.json", R"({"sources":{}})");
  ConfigStore store(s.dir);
  CHECK(store.reload().empty());
  CHECK(has_error(store, "platform.json: tenant 'platform' is reserved"));
  CHECK(has_error(store, "Bad_Name.json: 'Bad_Name' is not a tenant slug (a-z, 0-9, '-')"));
  CHECK(names(store.config_for("platform", "a")).empty());
}

TEST_CASE("byte sizes as operators write them", "[gateway][size]") {
  // GRPC_MAX_*_MSG_SIZE are read with base's one size parser: no spaces.
  CHECK(sr::base::parse_size_text("4194304") == 4194304u);
  CHECK(sr::base::parse_size_text("8MB") == 8u << 20);
  CHECK(sr::base::parse_size_text("512KiB") == 512u << 10);
  CHECK(sr::base::parse_size_text("1GB") == 1u << 30);
  CHECK(sr::base::parse_size_text("100B") == 100u);
  CHECK_FALSE(sr::base::parse_size_text("8 mb"));
  CHECK_FALSE(sr::base::parse_size_text(" 16M "));
  CHECK_FALSE(sr::base::parse_size_text(""));
  CHECK_FALSE(sr::base::parse_size_text("-1"));
  CHECK_FALSE(sr::base::parse_size_text("MB"));
  CHECK_FALSE(sr::base::parse_size_text("8XB"));
  CHECK_FALSE(sr::base::parse_size_text("99999999999999999999"));
  CHECK_FALSE(sr::base::parse_size_text("18446744073709551615GB"));
}

TEST_CASE("an admin edit keeps the tenant file 0600 whatever the umask", "[gateway][store][durable]") {
  // umask 0: a writer that leaves the mode to the umask makes 0666.
  struct OpenUmask {
    mode_t old = ::umask(0);
    ~OpenUmask() { ::umask(old); }
  } umask0;
  Store s;
  s.write("globex.json", R"({"sources":{"lab":{"type":"faker","credentials":{"api_key":"SECRET-globex"}}}})");
  fs::permissions(s.dir / "globex.json", fs::perms::owner_read | fs::perms::owner_write);
  ConfigStore store(s.dir);
  store.reload();
  auto doc = store.document("globex");
  REQUIRE(doc);
  (*doc)["poll_interval"] = "5m";
  REQUIRE(store.write_document("globex", *doc).empty());
  CHECK(fs::status(s.dir / "globex.json").permissions() == (fs::perms::owner_read | fs::perms::owner_write));
  // A new tenant's file is made private too, and no temporary stays behind.
  REQUIRE(store.write_document("initech", json::object{{"sources", json::object{}}}).empty());
  CHECK(fs::status(s.dir / "initech.json").permissions() == (fs::perms::owner_read | fs::perms::owner_write));
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(s.dir)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"globex.json", "initech.json"});
  store.reload();
  CHECK(json::parse(store.config_for("globex", "a").config_json).at("poll_interval") == "5m");
}

TEST_CASE("temporaries of interrupted edits are removed when the store opens", "[gateway][store][durable]") {
  Store s;
  s.write("acme.json", R"({"sources":{}})");
  s.write("acme.json.tmp.0123456789ab", R"({"sources":{"x":{"credentials":{"api_key":"SECRET-left"}}}})");
  s.write(".acme.json.tmp", R"({"sources":{}})");  // the name earlier versions used
  s.write("notes.txt", "kept");
  ConfigStore store(s.dir);
  CHECK_FALSE(fs::exists(s.dir / "acme.json.tmp.0123456789ab"));
  CHECK_FALSE(fs::exists(s.dir / ".acme.json.tmp"));
  CHECK(fs::exists(s.dir / "acme.json"));
  CHECK(fs::exists(s.dir / "notes.txt"));
}
