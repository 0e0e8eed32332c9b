// Durable writes: private whatever the umask, whole or not at all, errors
// naming the path; leftovers of interrupted writes removed, nothing else.
#include "base/durable_file.hpp"
#include "base/read_file.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace sr::base;
namespace fs = std::filesystem;

namespace {

// umask 0 for one test: a writer that trusts the umask would make 0666.
struct OpenUmask {
  OpenUmask() : old(::umask(0)) {}
  ~OpenUmask() { ::umask(old); }
  mode_t old;
};

fs::perms mode_of(const fs::path& p) { return fs::status(p).permissions(); }

constexpr auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;

}  // namespace

TEST_CASE("a durable write is 0600 even with umask 0, replacing a wider file", "[net][durable]") {
  const OpenUmask umask0;
  sr::test::TempDir dir("sr-durable");
  const auto target = dir.path / "secret.json";
  std::ofstream(target) << "old";
  fs::permissions(target, fs::perms::all);  // 0777: must not survive the rewrite
  REQUIRE(write_file_durably(target, "{\"key\":\"SECRET\"}").empty());
  CHECK(mode_of(target) == kPrivate);
  CHECK(*read_file(target) == "{\"key\":\"SECRET\"}");
  // No temporary stays behind.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("a streamed durable file takes its name only on commit", "[net][durable]") {
  const OpenUmask umask0;
  sr::test::TempDir dir("sr-durable");
  const auto target = dir.path / "out.ndjson";
  {
    auto file = DurableFile::create(target, dir.path / ".out.ndjson.part");
    REQUIRE(file);
    CHECK(mode_of(file->temp_path()) == kPrivate);
    REQUIRE(file->write("a\n").empty());
    CHECK_FALSE(fs::exists(target));
    REQUIRE(file->commit().empty());
  }
  CHECK(*read_file(target) == "a\n");
  CHECK(mode_of(target) == kPrivate);
  CHECK_FALSE(fs::exists(dir.path / ".out.ndjson.part"));
  {
    auto abandoned = DurableFile::create(dir.path / "never");
    REQUIRE(abandoned);
    REQUIRE(abandoned->write("x").empty());
  }  // dropped without commit: nothing stays
  CHECK_FALSE(fs::exists(dir.path / "never"));
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("errors name the path and the system's reason", "[net][durable]") {
  sr::test::TempDir dir("sr-durable");
  const auto missing = dir.path / "no-such-dir" / "file.json";
  const auto err = write_file_durably(missing, "x");
  INFO(err);
  CHECK(err.find(missing.string() + ".tmp.") == 0);
  CHECK(err.find("No such file or directory") != std::string::npos);
  // A named temporary that exists already is refused, not reused.
  std::ofstream(dir.path / ".taken.part") << "someone else's";
  auto taken = DurableFile::create(dir.path / "taken", dir.path / ".taken.part");
  REQUIRE_FALSE(taken);
  CHECK(taken.error() == (dir.path / ".taken.part").string() + ": cannot create: File exists");
  CHECK(*read_file(dir.path / ".taken.part") == "someone else's");
  // A target that is a directory: the rename fails and says which file.
  fs::create_directory(dir.path / "a-dir");
  fs::create_directory(dir.path / "a-dir" / "inside");
  const auto over_dir = write_file_durably(dir.path / "a-dir", "x");
  CHECK(over_dir.find((dir.path / "a-dir").string() + ": cannot replace it with ") == 0);
}

TEST_CASE("leftovers of interrupted writes are removed, and nothing else", "[net][durable]") {
  sr::test::TempDir dir("sr-durable");
  const std::vector<std::string> leftovers{"globex.json.tmp.0123456789ab", ".agent-1-000001.ndjson.part",
                                           ".acme.json.tmp", "config-cache.json.tmp"};
  const std::vector<std::string> kept{"globex.json", "notes.tmp.txt", "notes.tmp", "x.json.tmp.1", "x.tmp.0123", "part", ".part",
                                      "agent-1-000002.ndjson", "data.tmp.0123456789AB"};
  for (const auto& name : leftovers) std::ofstream(dir.path / name) << "x";
  for (const auto& name : kept) std::ofstream(dir.path / name) << "x";
  fs::create_directory(dir.path / "sub.json.tmp");  // a directory is never ours to remove
  auto swept = remove_write_leftovers(dir.path);
  CHECK(swept.errors.empty());
  std::sort(swept.removed.begin(), swept.removed.end());
  auto expected = leftovers;
  std::sort(expected.begin(), expected.end());
  CHECK(swept.removed == expected);
  for (const auto& name : leftovers) CHECK_FALSE(fs::exists(dir.path / name));
  for (const auto& name : kept) CHECK(fs::exists(dir.path / name));
  CHECK(fs::is_directory(dir.path / "sub.json.tmp"));
  CHECK(remove_write_leftovers(dir.path / "absent").errors.empty());
}

TEST_CASE("ensure_private_file creates 0600 and narrows an existing file", "[net][durable]") {
  const OpenUmask umask0;
  sr::test::TempDir dir("sr-durable");
  REQUIRE(ensure_private_file(dir.path / "db").empty());
  CHECK(mode_of(dir.path / "db") == kPrivate);
  std::ofstream(dir.path / "old") << "data";
  fs::permissions(dir.path / "old", fs::perms::all);
  REQUIRE(ensure_private_file(dir.path / "old").empty());
  CHECK(mode_of(dir.path / "old") == kPrivate);
  CHECK(*read_file(dir.path / "old") == "data");
  CHECK(ensure_private_file(dir.path / "nope" / "db").find((dir.path / "nope" / "db").string() + ": cannot open") == 0);
}
