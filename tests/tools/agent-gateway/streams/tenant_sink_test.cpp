// Device payload parsing and the per-tenant NDJSON sink.
#include "tools/agent-gateway/streams/device_batch.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/agent-gateway/streams/tenant_sink.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

using namespace sr::gateway;
using sr::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

Devices devices(const std::string& json) {
  auto parsed = parse_devices(json, 0);
  REQUIRE(parsed.ok());
  return *parsed;
}

}  // namespace

TEST_CASE("device payloads are JSON arrays of objects with an ip", "[gateway][devices]") {
  auto ok = parse_devices(R"([{"ip":"10.0.0.1","mac":"AA:BB"},{"ip":"10.0.0.2"}])", 3);
  REQUIRE(ok.ok());
  CHECK(ok->size() == 2);
  CHECK(parse_devices("[]", 0)->empty());
  CHECK(parse_devices("{not json", 3).error().rfind("chunk 3: results are not JSON: ", 0) == 0);
  CHECK(parse_devices(R"({"ip":"1"})", 3).error() ==
        "chunk 3: results must be a JSON array of device updates");
  CHECK(parse_devices(R"([{"ip":"1"}, 7])", 3).error() == "chunk 3: device 1 is not a JSON object");
  CHECK(parse_devices(R"([{"ip":"1"}, {"mac":"x"}])", 4).error() ==
        "chunk 4: device 1 has no \"ip\" string");
  CHECK(parse_devices(R"([{"ip":""}])", 4).error() == "chunk 4: device 0 has no \"ip\" string");
  CHECK(carries_sync_results("sync", "x"));
  CHECK(carries_sync_results("other", "sync"));
  CHECK_FALSE(carries_sync_results("icmp", "ping"));
}

TEST_CASE("a committed stream is one NDJSON file with the certificate's identity",
          "[gateway][sink]") {
  TempDir dir;
  TenantSink sink(dir.path);
  auto opened = sink.open("acme", "agent-1");
  REQUIRE(opened.ok());
  auto& stream = **opened;
  CHECK(stream.append(devices(R"([{"ip":"10.0.0.1","tenant":"globex"}])")).empty());
  CHECK(stream.append(devices(R"([{"ip":"10.0.0.2"}])")).empty());
  CHECK(files_in(dir.path / "acme").size() == 1);  // only the hidden part file so far
  CHECK(files_in(dir.path / "acme").front().filename().string().front() == '.');
  CHECK(stream.commit().empty());

  const auto files = files_in(dir.path / "acme");
  REQUIRE(files.size() == 1);
  CHECK(files.front().filename() == "agent-1-000001.ndjson");
  CHECK(lines_of(files.front()) ==
        std::vector<std::string>{
            R"({"ip":"10.0.0.1","tenant":"globex","_tenant":"acme","_agent_id":"agent-1"})",
            R"({"ip":"10.0.0.2","_tenant":"acme","_agent_id":"agent-1"})"});
  CHECK(sink.counters("acme").streams_committed == 1);
  CHECK(sink.counters("acme").devices_committed == 2);
  CHECK(sink.counters("globex").streams_committed == 0);
}

TEST_CASE("an aborted or abandoned stream leaves nothing", "[gateway][sink]") {
  TempDir dir;
  TenantSink sink(dir.path);
  {
    auto s = std::move(*sink.open("acme", "agent-1"));
    s->append(devices(R"([{"ip":"10.0.0.1"}])"));
    s->abort();
  }
  {
    auto s = std::move(*sink.open("acme", "agent-1"));
    s->append(devices(R"([{"ip":"10.0.0.1"}])"));
  }  // dropped without commit
  CHECK(files_in(dir.path / "acme").empty());
  CHECK(sink.counters("acme").streams_aborted == 2);
  CHECK(sink.counters("acme").devices_committed == 0);
}

TEST_CASE("tenants land in separate directories and names never collide", "[gateway][sink]") {
  TempDir dir;
  {
    TenantSink first_run(dir.path);
    auto a = std::move(*first_run.open("acme", "agent-1"));
    CHECK(a->commit().empty());
  }
  TenantSink sink(dir.path);  // a restarted gateway, same directory
  auto a = std::move(*sink.open("acme", "agent-1"));
  auto g = std::move(*sink.open("globex", "agent-2"));
  CHECK(a->commit().empty());
  CHECK(g->commit().empty());
  CHECK(files_in(dir.path / "acme").size() == 2);
  CHECK(files_in(dir.path / "globex").size() == 1);
}

TEST_CASE("an unusable sink directory is an error naming the path", "[gateway][sink]") {
  TempDir dir;
  const fs::path file = dir.path / "a-file";
  std::ofstream(file) << "x";
  TenantSink sink(file / "sub");  // below a regular file: fails even as root
  auto opened = sink.open("acme", "agent-1");
  REQUIRE_FALSE(opened.ok());
  CHECK_THAT(opened.error(), Catch::StartsWith("sink: cannot create " + (file / "sub" / "acme").string()));
}

TEST_CASE("sink files are 0600 whatever the umask, while written and once committed", "[gateway][sink][durable]") {
  // umask 0: a sink that leaves the mode to the umask makes 0666.
  struct OpenUmask {
    mode_t old = ::umask(0);
    ~OpenUmask() { ::umask(old); }
  } umask0;
  constexpr auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;
  TempDir dir;
  TenantSink sink(dir.path);
  auto stream = std::move(*sink.open("acme", "agent-1"));
  CHECK(stream->append(devices(R"([{"ip":"10.0.0.1"}])")).empty());
  const auto part = files_in(dir.path / "acme");
  REQUIRE(part.size() == 1);
  CHECK(fs::status(part.front()).permissions() == kPrivate);
  CHECK(stream->commit().empty());
  CHECK(fs::status(dir.path / "acme" / "agent-1-000001.ndjson").permissions() == kPrivate);
}

TEST_CASE("part files of interrupted streams are removed when the sink opens", "[gateway][sink][durable]") {
  TempDir dir;
  fs::create_directories(dir.path / "acme");
  std::ofstream(dir.path / "acme" / ".agent-1-000001.ndjson.part") << R"({"ip":"10.0.0.1"})" << '\n';
  std::ofstream(dir.path / "acme" / "agent-1-000002.ndjson") << R"({"ip":"10.0.0.2"})" << '\n';
  TenantSink sink(dir.path);
  CHECK(files_in(dir.path / "acme") == std::vector<fs::path>{dir.path / "acme" / "agent-1-000002.ndjson"});
  // The freed name is not reused over a committed file.
  auto s = std::move(*sink.open("acme", "agent-1"));
  CHECK(s->commit().empty());
  CHECK(files_in(dir.path / "acme").size() == 2);
}
